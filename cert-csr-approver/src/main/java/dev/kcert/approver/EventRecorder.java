package dev.kcert.approver;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes core/v1 Events about CSRs, so {@code kubectl describe csr} shows what was decided. */
final class EventRecorder {
  static final String COMPONENT = "kcert-csr-approver";
  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);

  private final KubernetesClient client;
  private final String namespace;
  private final String identity;
  private final Clock clock;

  EventRecorder(KubernetesClient client, String namespace, String identity, Clock clock) {
    this.client = client;
    this.namespace = namespace;
    this.identity = identity;
    this.clock = clock;
  }

  /** Records an event; a failure is logged and otherwise ignored: events are best effort. */
  void record(CertificateSigningRequest csr, boolean warning, String reason, String message) {
    String name = csr.getMetadata().getName();
    String ts = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    Event event =
        new EventBuilder()
            .withNewMetadata()
            .withName(name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE)
                .toLowerCase(Locale.ROOT))
            .withNamespace(namespace)
            .endMetadata()
            .withInvolvedObject(
                new ObjectReferenceBuilder()
                    .withApiVersion("certificates.k8s.io/v1")
                    .withKind("CertificateSigningRequest")
                    .withName(name)
                    .withUid(csr.getMetadata().getUid())
                    .build())
            .withType(warning ? "Warning" : "Normal")
            .withReason(reason)
            .withMessage(message.length() > 1000 ? message.substring(0, 1000) : message)
            .withFirstTimestamp(ts)
            .withLastTimestamp(ts)
            .withCount(1)
            .withNewSource()
            .withComponent(COMPONENT)
            .endSource()
            .withReportingComponent(COMPONENT)
            .withReportingInstance(identity)
            .build();
    try {
      client.v1().events().inNamespace(namespace).resource(event).create();
    } catch (RuntimeException e) {
      LOG.warn("event=failed csr={} reason={} error=\"{}\"", name, reason, Log.oneLine(e));
    }
  }
}
