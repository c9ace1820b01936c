package dev.kcert.core.pem;

import dev.kcert.core.model.KcertException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/** PEM framing: splitting text into blocks, and writing blocks back. */
public final class Pem {
  private static final String BEGIN = "-----BEGIN ";
  private static final String END = "-----END ";
  private static final String DASHES = "-----";

  private Pem() {}

  /**
   * Reads a whole file, with one-line errors for the usual causes.
   *
   * @throws KcertException when the file is missing, a directory, or unreadable
   */
  public static byte[] readFile(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw KcertException.about(file, "no such file", e);
    } catch (AccessDeniedException e) {
      throw KcertException.about(file, "permission denied", e);
    } catch (IOException e) {
      // asked only now: a directory opens, and fails at the first read
      if (Files.isDirectory(file)) {
        throw KcertException.about(file, "is a directory, not a file");
      }
      throw KcertException.about(file, "cannot read: " + KcertException.oneLine(e), e);
    }
  }

  /**
   * Splits PEM text into blocks. Text outside blocks is ignored (openssl writes comments there).
   *
   * @param source names the input in error messages (a file, or a kubeconfig field)
   * @throws KcertException when a block is not closed, or its body is not base64
   */
  public static List<PemBlock> parse(byte[] data, String source) {
    String text = new String(data, StandardCharsets.US_ASCII);
    List<PemBlock> blocks = new ArrayList<>();
    int pos = 0;
    while (true) {
      int begin = text.indexOf(BEGIN, pos);
      if (begin < 0) {
        break;
      }
      int typeEnd = text.indexOf(DASHES, begin + BEGIN.length());
      int lineEnd = text.indexOf('\n', begin);
      if (typeEnd < 0 || (lineEnd >= 0 && typeEnd > lineEnd)) {
        throw new KcertException(source + ": malformed PEM header line");
      }
      String type = text.substring(begin + BEGIN.length(), typeEnd);
      String endMarker = END + type + DASHES;
      int end = text.indexOf(endMarker, typeEnd);
      if (end < 0) {
        throw new KcertException(
            source + ": truncated PEM block (BEGIN " + type + " without END " + type + ")");
      }
      String body = text.substring(typeEnd + DASHES.length(), end);
      if (body.contains(":")) {
        throw new KcertException(
            source + ": encrypted or annotated PEM block " + type + " is not supported");
      }
      byte[] der;
      try {
        der = decodeBase64(body);
      } catch (IllegalArgumentException e) {
        throw new KcertException(source + ": invalid base64 in PEM block " + type, e);
      }
      if (der.length == 0) {
        throw new KcertException(source + ": empty PEM block " + type);
      }
      blocks.add(new PemBlock(type, der));
      pos = end + endMarker.length();
    }
    return blocks;
  }

  /**
   * Strict base64: white space (line breaks) is allowed, any other character outside the alphabet
   * is an error (the JDK's MIME decoder would skip it silently).
   *
   * @throws IllegalArgumentException when the text is not base64
   */
  public static byte[] decodeBase64(String text) {
    if (text.indexOf('\n') < 0 && text.indexOf(' ') < 0 && text.indexOf('\r') < 0
        && text.indexOf('\t') < 0) {
      return Base64.getDecoder().decode(text); // the usual case: one line, nothing to strip
    }
    // characters past U+00FF become '?' and those past U+007F negative bytes: both refused below
    byte[] compact = text.getBytes(StandardCharsets.ISO_8859_1);
    int n = 0;
    for (byte b : compact) {
      if (b != '\n' && b != '\r' && b != ' ' && b != '\t') {
        compact[n++] = b;
      }
    }
    return Base64.getDecoder().decode(n == compact.length ? compact : Arrays.copyOf(compact, n));
  }

  /** Encodes one block with 64-character lines, as openssl and Go write it. */
  public static String encode(String type, byte[] der) {
    String b64 = Base64.getEncoder().encodeToString(der);
    StringBuilder sb = new StringBuilder(b64.length() + 80);
    sb.append(BEGIN).append(type).append(DASHES).append('\n');
    for (int i = 0; i < b64.length(); i += 64) {
      sb.append(b64, i, Math.min(b64.length(), i + 64)).append('\n');
    }
    sb.append(END).append(type).append(DASHES).append('\n');
    return sb.toString();
  }
}
