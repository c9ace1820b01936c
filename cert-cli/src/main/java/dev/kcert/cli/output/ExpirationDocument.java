package dev.kcert.cli.output;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.util.StringQuotingChecker;
import dev.kcert.core.expiry.ExpiryEntry;
import dev.kcert.core.expiry.ExpiryReport;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.regex.Pattern;

/**
 * kubeadm's machine-readable {@code CertificateExpirationInfo} ({@code
 * output.kubeadm.k8s.io/v1alpha3}). JSON keeps kubeadm's key order and four-space indent; YAML has
 * sorted keys and quotes timestamps, as Kubernetes' YAML printer does. kcert only adds fields, and
 * only to rows it could not read ({@code error}).
 */
public final class ExpirationDocument {
  public static final String KIND = "CertificateExpirationInfo";
  public static final String API_VERSION = "output.kubeadm.k8s.io/v1alpha3";

  private ExpirationDocument() {}

  /** kubeadm's JSON layout: four-space indent, {@code "key": value}, empty {@code []}. */
  private static final class JsonHolder {
    static final ObjectWriter WRITER;

    static {
      DefaultPrettyPrinter pp =
          new DefaultPrettyPrinter()
              .withSeparators(
                  Separators.createDefaultInstance()
                      .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                      .withObjectEmptySeparator("")
                      .withArrayEmptySeparator(""));
      DefaultIndenter indenter = new DefaultIndenter("    ", "\n");
      pp.indentObjectsWith(indenter);
      pp.indentArraysWith(indenter);
      WRITER = new ObjectMapper().writer(pp);
    }
  }

  /** Go's YAML layout: no document marker, quotes only where Go's encoder puts them. */
  private static final class YamlHolder {
    static final YAMLMapper MAPPER =
        new YAMLMapper(
            YAMLFactory.builder()
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                .stringQuotingChecker(new GoYamlQuoting())
                .build());
  }

  /**
   * @param source the folder the report is about, added as a {@code source} field when not null
   */
  public static String json(ExpiryReport report, String source) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("kind", KIND);
    root.put("apiVersion", API_VERSION);
    entries(root.putArray("certificates"), report.certificates(), false);
    entries(root.putArray("certificateAuthorities"), report.authorities(), false);
    if (source != null) {
      root.put("source", source);
    }
    try {
      return JsonHolder.WRITER.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * @param source the folder the report is about, added as a {@code source} field when not null
   */
  public static String yaml(ExpiryReport report, String source) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("apiVersion", API_VERSION);
    entries(root.putArray("certificateAuthorities"), report.authorities(), true);
    entries(root.putArray("certificates"), report.certificates(), true);
    root.put("kind", KIND);
    if (source != null) {
      root.put("source", source);
    }
    try {
      return YamlHolder.MAPPER.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void entries(ArrayNode array, List<ExpiryEntry> entries, boolean sorted) {
    for (ExpiryEntry e : entries) {
      ObjectNode o = array.addObject();
      String date =
          e.hasDate() ? DateTimeFormatter.ISO_INSTANT.format(e.expirationDate()) : null;
      if (sorted) {
        if (!e.caName().isEmpty()) {
          o.put("caName", e.caName());
        }
        if (e.invalid()) {
          o.put("error", e.error());
        }
        o.put("expirationDate", date);
        o.put("externallyManaged", e.externallyManaged());
        o.put("missing", e.missing());
        o.put("name", e.name());
        o.put("residualTime", e.residualSeconds());
      } else {
        o.put("name", e.name());
        o.put("expirationDate", date);
        o.put("residualTime", e.residualSeconds());
        o.put("externallyManaged", e.externallyManaged());
        if (!e.caName().isEmpty()) {
          o.put("caName", e.caName());
        }
        o.put("missing", e.missing());
        if (e.invalid()) {
          o.put("error", e.error());
        }
      }
    }
  }

  /** Quotes what Go's YAML encoder quotes beyond Jackson's defaults: timestamps. */
  public static final class GoYamlQuoting extends StringQuotingChecker.Default {
    private static final long serialVersionUID = 1L;
    private static final Pattern TIMESTAMP = Pattern.compile("\\d{4}-\\d{1,2}-\\d{1,2}([Tt ].*)?");

    @Override
    public boolean needToQuoteValue(String value) {
      return TIMESTAMP.matcher(value).matches() || super.needToQuoteValue(value);
    }
  }
}
