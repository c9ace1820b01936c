package dev.kcert.cli.output;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.kcert.core.node.ServedCheck;
import dev.kcert.core.node.ServedCheck.Result;
import java.io.UncheckedIOException;
import java.security.cert.X509Certificate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * The output of {@code check-served}: a table, or a {@code ServedCertificateCheck} document ({@code
 * output.kcert.dev/v1alpha1}) in JSON or YAML. Fields are only ever added.
 */
public final class ServedDocument {
  public static final String KIND = "ServedCertificateCheck";
  public static final String API_VERSION = "output.kcert.dev/v1alpha1";

  private ServedDocument() {}

  /** The result as the JSON and YAML documents name it: {@code match}, {@code differs}, ... */
  public static String resultName(ServedCheck.Status s) {
    return s.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static String text(List<Result> results) {
    TabWriter tw = TabWriter.kubeadm();
    tw.line("COMPONENT\tADDRESS\tRESULT\tSERVED EXPIRES\tFILE EXPIRES\tFILE");
    for (Result r : results) {
      tw.line(
          r.endpoint().component().podName()
              + "\t"
              + r.endpoint().address()
              + "\t"
              + resultName(r.status())
              + "\t"
              + date(r.served())
              + "\t"
              + date(r.disk())
              + "\t"
              + (r.endpoint().certFile() == null ? "(none: self-signed at start)" : r.endpoint().certFile()));
    }
    return tw.render();
  }

  public static String json(List<Result> results) {
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(tree(results))
          + "\n";
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String yaml(List<Result> results) {
    try {
      return YAMLMapper.builder()
          .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
          .build()
          .writeValueAsString(tree(results));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ObjectNode tree(List<Result> results) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode root = f.objectNode();
    root.put("kind", KIND);
    root.put("apiVersion", API_VERSION);
    ArrayNode items = root.putArray("endpoints");
    for (Result r : results) {
      ObjectNode o = items.addObject();
      o.put("component", r.endpoint().component().podName());
      o.put("host", r.endpoint().host());
      o.put("port", r.endpoint().port());
      o.put("certificateFile", r.endpoint().certFile() == null ? null : r.endpoint().certFile().toString());
      o.put("result", resultName(r.status()));
      if (r.served() != null) {
        cert(o.putObject("served"), r.served());
      }
      if (r.disk() != null) {
        cert(o.putObject("file"), r.disk());
      }
      if (r.message() != null) {
        o.put("error", r.message());
      }
    }
    return root;
  }

  private static void cert(ObjectNode o, X509Certificate c) {
    o.put("serialNumber", c.getSerialNumber().toString(16));
    o.put("notAfter", DateTimeFormatter.ISO_INSTANT.format(c.getNotAfter().toInstant()));
  }

  private static String date(X509Certificate c) {
    return c == null ? "-" : ExpirationText.DATE.format(c.getNotAfter().toInstant());
  }
}
