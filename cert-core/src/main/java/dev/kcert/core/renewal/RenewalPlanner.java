package dev.kcert.core.renewal;

import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.keys.KeyMaker;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.model.Catalogue;
import dev.kcert.core.model.CatalogueEntry;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.AtomicFiles;
import dev.kcert.core.pki.CertificateInfo;
import dev.kcert.core.pki.PkiLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

/**
 * Decides what {@code renew} changes and computes it in memory: for each selected entry, whether it
 * is renewed or skipped (missing, signed by an external CA, not due), and for each renewal the new
 * key, the new certificate and the bytes of every file that changes. Nothing is written here; the
 * {@link Installer} does that.
 */
public final class RenewalPlanner {
  /** The argument of {@code renew} that selects every renewable entry. */
  public static final String ALL = "all";

  /**
   * How to renew.
   *
   * @param validity how long renewed certificates are valid
   * @param keyAlgorithm the type of new keys; {@code null} keeps each old key's type and size
   * @param reuseKey keep the existing private keys
   * @param renewWithin renew only what expires within this; {@code null} renews everything selected
   * @param dryRun decide only: no keys, no certificates, no change sets
   * @param clock the time of the renewal
   */
  public record Options(
      Duration validity,
      KeyAlgorithm keyAlgorithm,
      boolean reuseKey,
      Duration renewWithin,
      boolean dryRun,
      Clock clock) {
    public Options {
      Objects.requireNonNull(validity, "validity");
      Objects.requireNonNull(clock, "clock");
      if (validity.isNegative() || validity.isZero()) {
        throw new IllegalArgumentException("--validity must be positive");
      }
      if (reuseKey && keyAlgorithm != null) {
        throw new IllegalArgumentException("--reuse-key and --key-algorithm exclude each other");
      }
    }
  }

  /** What happens to one entry. */
  public enum Status {
    RENEW,
    MISSING,
    EXTERNAL_CA,
    NOT_DUE
  }

  /**
   * One selected entry.
   *
   * @param entry the catalogue entry
   * @param file its certificate or kubeconfig file
   * @param status what happens to it
   * @param oldNotAfter expiry of the current certificate, {@code null} when missing
   * @param newNotAfter expiry after renewal, {@code null} unless renewed
   * @param keyDescription the key of the renewed certificate ({@code RSA-2048}, {@code
   *     ECDSA-P256}), {@code null} unless renewed
   * @param change the files to install, {@code null} unless renewed (and in a dry run)
   */
  public record Item(
      CatalogueEntry entry,
      Path file,
      Status status,
      Instant oldNotAfter,
      Instant newNotAfter,
      String keyDescription,
      ChangeSet change) {}

  /**
   * A renewal plan.
   *
   * @param items every selected entry, in catalogue order
   * @param warnings things the user should know (validity beyond the CA's, a foreign issuer)
   */
  public record Plan(List<Item> items, List<String> warnings) {
    public List<Item> renewals() {
      return items.stream().filter(i -> i.status() == Status.RENEW).toList();
    }

    public List<ChangeSet> changes() {
      return renewals().stream().map(Item::change).filter(Objects::nonNull).toList();
    }
  }

  private RenewalPlanner() {}

  /**
   * The entries a name selects: one leaf or kubeconfig, or {@code all}.
   *
   * @throws IllegalArgumentException for a CA or an unknown name
   */
  public static List<CatalogueEntry> select(String name) {
    return select(name, false);
  }

  /**
   * The entries a name selects when etcd is external or not: with external etcd, {@code all}
   * leaves out etcd's certificates and {@code apiserver-etcd-client} (kubeadm's list), and naming
   * one of them is an error.
   *
   * @throws IllegalArgumentException for a CA, an unknown name, or an etcd certificate of a
   *     cluster whose etcd is external
   */
  public static List<CatalogueEntry> select(String name, boolean externalEtcd) {
    if (ALL.equals(name)) {
      return Catalogue.forEtcd(Catalogue.renewable(), externalEtcd);
    }
    if (externalEtcd
        && Catalogue.renewable().stream().anyMatch(e -> e.name().equals(name) && Catalogue.isEtcd(e))) {
      throw new IllegalArgumentException(
          name + " is not a certificate of this cluster: etcd is external, and its certificates"
              + " belong to etcd's owner");
    }
    if (Catalogue.CAS.stream().anyMatch(c -> c.name().equals(name))) {
      throw new IllegalArgumentException(
          name + " is a certificate authority; CAs are not renewed (only the certificates they sign)");
    }
    return Catalogue.renewable().stream()
        .filter(e -> e.name().equals(name))
        .findFirst()
        .map(List::of)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "unknown certificate '"
                        + name
                        + "' (expected all or one of "
                        + Catalogue.renewable().stream()
                            .map(CatalogueEntry::name)
                            .collect(Collectors.joining(", "))
                        + ")"));
  }

  /**
   * Plans the renewal of {@code entries}.
   *
   * @throws KcertException when a file is corrupt, a CA key does not match its certificate, or a
   *     key to reuse is missing or does not match; nothing is planned then
   */
  public static Plan plan(PkiLayout layout, List<CatalogueEntry> entries, Options o) {
    try (KeyMaker maker = new KeyMaker()) {
      return plan(layout, entries, o, maker);
    }
  }

  private static Plan plan(
      PkiLayout layout, List<CatalogueEntry> entries, Options o, KeyMaker maker) {
    CaStore cas = new CaStore(layout);
    Instant now = o.clock().instant();
    List<String> warnings = new ArrayList<>();
    List<Item> items = new ArrayList<>();
    List<Existing> toRenew = new ArrayList<>();
    List<Future<KeyPair>> keys = new ArrayList<>();
    for (CatalogueEntry e : entries) {
      Path file = layout.certFile(e);
      Existing ex = Existing.read(layout, e);
      if (ex == null) {
        items.add(new Item(e, file, Status.MISSING, null, null, null, null));
        continue;
      }
      Instant oldNotAfter = ex.certificate().getNotAfter().toInstant();
      CaStore.Ca ca = cas.forEntry(e);
      if (ca.external()) {
        items.add(new Item(e, file, Status.EXTERNAL_CA, oldNotAfter, null, null, null));
        continue;
      }
      if (o.renewWithin() != null && oldNotAfter.isAfter(now.plus(o.renewWithin()))) {
        items.add(new Item(e, file, Status.NOT_DUE, oldNotAfter, null, null, null));
        continue;
      }
      items.add(null); // filled in below, once the keys are made
      toRenew.add(ex);
      keys.add(key(layout, ex, o, maker));
    }

    int next = 0;
    for (int i = 0; i < items.size(); i++) {
      if (items.get(i) != null) {
        continue;
      }
      Existing ex = toRenew.get(next);
      KeyPair pair = KeyMaker.await(keys.get(next++));
      items.set(i, renewal(layout, ex, pair, cas.forEntry(ex.entry()), o, now, warnings));
    }
    warnings.addAll(cas.warnings());
    return new Plan(List.copyOf(items), List.copyOf(warnings));
  }

  /**
   * The key of a renewal: the existing one with {@code reuseKey} (checked against its
   * certificate), else a new one, made in the background; {@code null} in a dry run, which makes
   * none.
   */
  private static Future<KeyPair> key(PkiLayout layout, Existing ex, Options o, KeyMaker maker) {
    if (o.reuseKey()) {
      return KeyMaker.ready(ex.reusableKey(layout));
    }
    // fails early on a key type kcert does not make
    KeyAlgorithm algorithm = ex.newKeyAlgorithm(o.keyAlgorithm());
    return o.dryRun() ? KeyMaker.ready(null) : maker.make(algorithm);
  }

  private static Item renewal(
      PkiLayout layout,
      Existing ex,
      KeyPair pair,
      CaStore.Ca ca,
      Options o,
      Instant now,
      List<String> warnings) {
    CatalogueEntry e = ex.entry();
    Instant newNotAfter = Renewer.notAfter(now, o.validity(), ca.certificate());
    if (now.plus(o.validity()).isAfter(newNotAfter)) {
      warnings.add(
          e.name()
              + ": --validity would make it valid until "
              + now.plus(o.validity())
              + ", after "
              + ca.entry().name()
              + " expires; the renewed certificate ends with its CA ("
              + newNotAfter
              + ")");
    }
    if (!Certificates.isSignedBy(ex.certificate(), ca.certificate())) {
      warnings.add(
          ex.file() + ": the current certificate is not signed by " + ca.entry().name()
              + "; the renewed one will be");
    }
    String keyDescription =
        pair != null
            ? KeyAlgorithm.of(pair.getPublic())
                .map(KeyAlgorithm::displayName)
                .orElse(KeyAlgorithm.describe(pair.getPublic()))
            : ex.newKeyAlgorithm(o.keyAlgorithm()).displayName();
    if (o.dryRun()) {
      return new Item(e, ex.file(), Status.RENEW, ex.certificate().getNotAfter().toInstant(),
          newNotAfter, keyDescription, null);
    }
    X509Certificate renewed =
        Renewer.renew(
            ex.certificate(),
            ex.file().toString(),
            ca.certificate(),
            ca.key(),
            pair.getPublic(),
            o.clock(),
            o.validity());
    Identity identity = Identity.of(CertificateInfo.of(ex.certificate()));
    byte[] certPem = ascii(Certificates.toPem(renewed));
    // the key as parsed and checked, never the bytes of its file (which may carry more)
    byte[] keyPem = ascii(PrivateKeys.toPem(pair));
    String looseKey = null;
    if (o.reuseKey()) {
      Path keyFile = e.isKubeconfig() ? ex.file() : layout.keyFile(e);
      looseKey = Existing.looseMode(keyFile);
      if (looseKey != null) {
        warnings.add(
            keyFile + ": the private key kept with --reuse-key can be read or written by group or"
                + " others (" + looseKey + "); it is rewritten 0600");
      }
    }
    ChangeSet change;
    if (e.isKubeconfig()) {
      Kubeconfig kc = ex.kubeconfig(); // as read for planning; nothing else uses it now
      kc.embedClientCredentials(certPem, keyPem, ca.certificatePem());
      change =
          new ChangeSet(
              e.name(),
              List.of(
                  new FileChange(
                      ex.file(), kc.render(), AtomicFiles.PRIVATE, Installer.backupName(layout, ex.file()))),
              Verification.kubeconfig(ex.file(), ca, renewed, identity, true));
    } else {
      Path crt = layout.certFile(e);
      Path key = layout.keyFile(e);
      List<FileChange> files = new ArrayList<>();
      if (!o.reuseKey() || looseKey != null) {
        files.add(new FileChange(key, keyPem, AtomicFiles.PRIVATE, Installer.backupName(layout, key)));
      }
      files.add(new FileChange(crt, certPem, AtomicFiles.PUBLIC, Installer.backupName(layout, crt)));
      change =
          new ChangeSet(e.name(), files, Verification.leaf(crt, key, ca, renewed, identity, true));
    }
    return new Item(
        e,
        ex.file(),
        Status.RENEW,
        ex.certificate().getNotAfter().toInstant(),
        renewed.getNotAfter().toInstant(),
        keyDescription,
        change);
  }

  /** Where a file's backup goes: its path relative to the kubeconfig folder, {@code pki/...}. */
  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
