package dev.kcert.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.kcert.cli.output.ExpirationDocument;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code kcert version}: kubeadm's {@code version} command. {@code -o json} and {@code -o yaml}
 * give kubeadm's document ({@code clientVersion} with {@code major}, {@code minor}, {@code
 * gitVersion}, {@code gitCommit}, {@code gitTreeState}, {@code buildDate}, ..., {@code platform});
 * where kubeadm names its Go release ({@code goVersion}, {@code compiler}) kcert names the Java
 * runtime ({@code javaVersion}, {@code compiler: javac}).
 */
@Command(
    name = "version",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the version of kcert: version, git commit, tree state and build date, as kubeadm's"
          + " 'version' command does."
    },
    footer = {
      "%nExamples:",
      "  kcert version",
      "  kcert version -o short",
      "  kcert version -o json | jq -r .clientVersion.gitCommit",
      "%nExit codes: 0 success, 2 bad usage."
    })
public final class VersionCommand implements Callable<Integer> {
  /** The output formats of kubeadm's version command. */
  enum Format {
    TEXT,
    SHORT,
    JSON,
    YAML;

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      converter = FormatConverter.class,
      completionCandidates = FormatNames.class,
      description = "Output format: text (default), short, json or yaml.")
  Format output = Format.TEXT;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws JsonProcessingException {
    PrintWriter out = spec.commandLine().getOut();
    out.print(render(BuildInfo.load(), output));
    out.flush();
    return ExitCodes.OK;
  }

  static String render(BuildInfo info, Format format) throws JsonProcessingException {
    return switch (format) {
      case SHORT -> info.gitVersion() + "\n";
      case TEXT -> "kcert version: " + text(info) + "\n";
      case JSON -> json(info);
      case YAML -> yaml(info);
    };
  }

  /** The fields in kubeadm's order. */
  private static Map<String, String> fields(BuildInfo info) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("major", info.major());
    m.put("minor", info.minor());
    m.put("gitVersion", info.gitVersion());
    m.put("gitCommit", info.gitCommit());
    m.put("gitTreeState", info.gitTreeState());
    m.put("buildDate", info.buildDate());
    m.put("javaVersion", Runtime.version().toString());
    m.put("compiler", "javac");
    m.put("platform", BuildInfo.platform());
    return m;
  }

  /** Go's {@code %#v} of kubeadm's version.Info, with kcert's fields. */
  private static String text(BuildInfo info) {
    StringBuilder b = new StringBuilder("&version.Info{");
    String sep = "";
    for (Map.Entry<String, String> e : fields(info).entrySet()) {
      String k = e.getKey();
      b.append(sep).append(Character.toUpperCase(k.charAt(0))).append(k.substring(1));
      b.append(":\"").append(e.getValue()).append('"');
      sep = ", ";
    }
    return b.append('}').toString();
  }

  private static ObjectNode document(Map<String, String> fields) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    ObjectNode v = root.putObject("clientVersion");
    fields.forEach(v::put);
    return root;
  }

  /** kubeadm's JSON: two-space indent, {@code "key": value}. */
  private static String json(BuildInfo info) throws JsonProcessingException {
    DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
    DefaultPrettyPrinter pp =
        new DefaultPrettyPrinter()
            .withSeparators(
                Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER));
    pp.indentObjectsWith(indenter);
    return new ObjectMapper().writer(pp).writeValueAsString(document(fields(info))) + "\n";
  }

  /** kubeadm's YAML: sorted keys, no document marker. */
  private static String yaml(BuildInfo info) throws JsonProcessingException {
    YAMLMapper mapper =
        new YAMLMapper(
            YAMLFactory.builder()
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                .stringQuotingChecker(new ExpirationDocument.GoYamlQuoting())
                .build());
    return mapper.writeValueAsString(document(new TreeMap<>(fields(info))));
  }

  static final class FormatConverter implements ITypeConverter<Format> {
    @Override
    public Format convert(String value) {
      for (Format f : Format.values()) {
        if (f.toString().equals(value)) {
          return f;
        }
      }
      throw new TypeConversionException(
          "'" + value + "' is not one of text, short, json, yaml");
    }
  }

  static final class FormatNames extends ArrayList<String> {
    private static final long serialVersionUID = 1L;

    FormatNames() {
      super(List.of("text", "short", "json", "yaml"));
    }
  }
}
