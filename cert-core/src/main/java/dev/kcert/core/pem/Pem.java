package dev.kcert.core.pem;

import dev.kcert.core.model.KcertException;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/** PEM framing: splitting text into blocks, and writing blocks back. */
public final class Pem {
  private static final String BEGIN = "-----BEGIN ";
  private static final String END = "-----END ";
  private static final String DASHES = "-----";

  private Pem() {}

  /**
   * The largest file kcert reads: a kubeconfig or a certificate bundle is a few kilobytes; a
   * megabyte leaves room for long CA bundles and keeps a stray log or disk image from filling the
   * heap or the YAML scanner.
   */
  public static final int MAX_FILE_BYTES = 1 << 20;

  /**
   * Reads a whole regular file of at most {@link #MAX_FILE_BYTES}, with one-line errors for the
   * usual causes. Anything else in a file's place (a FIFO, a device such as {@code /dev/zero}, a
   * socket) is refused before it is opened, so that it can neither block nor stream forever.
   *
   * @throws KcertException when the file is missing, not a regular file, too large, or unreadable
   */
  public static byte[] readFile(Path file) {
    try {
      BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
      if (attrs.isDirectory()) {
        throw KcertException.about(file, "is a directory, not a file");
      }
      if (!attrs.isRegularFile()) {
        throw KcertException.about(file, "is not a regular file (a device, FIFO or socket)");
      }
      if (attrs.size() > MAX_FILE_BYTES) {
        throw tooLarge(file);
      }
      try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ)) {
        // The file may have been replaced between the look and the open. Java cannot open without
        // blocking or compare the opened descriptor with the path, so the path is looked at again:
        // it must still be the regular file first seen (same device and inode), and the opened
        // channel must be within the cap. The read itself is bounded whatever was opened.
        BasicFileAttributes again = Files.readAttributes(file, BasicFileAttributes.class);
        if (!again.isRegularFile() || !Objects.equals(again.fileKey(), attrs.fileKey())) {
          throw KcertException.about(file, "was replaced while being read; nothing was read from it");
        }
        if (ch.size() > MAX_FILE_BYTES) {
          throw tooLarge(file);
        }
        byte[] data = Channels.newInputStream(ch).readNBytes(MAX_FILE_BYTES + 1);
        if (data.length > MAX_FILE_BYTES) {
          throw tooLarge(file); // grew since it was looked at
        }
        return data;
      }
    } catch (NoSuchFileException e) {
      throw KcertException.about(file, "no such file", e);
    } catch (AccessDeniedException e) {
      throw KcertException.about(file, "permission denied", e);
    } catch (IOException e) {
      throw KcertException.about(file, "cannot read: " + KcertException.oneLine(e), e);
    }
  }

  private static KcertException tooLarge(Path file) {
    return KcertException.about(
        file, "larger than " + (MAX_FILE_BYTES >> 20) + " MiB, more than kcert reads from one file"
            + " (a certificate, key, kubeconfig or manifest)");
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
      String label = label(type);
      String endMarker = END + type + DASHES;
      int end = text.indexOf(endMarker, typeEnd);
      if (end < 0) {
        throw new KcertException(
            source + ": truncated PEM block (BEGIN " + label + " without END " + label + ")");
      }
      String body = text.substring(typeEnd + DASHES.length(), end);
      if (body.contains(":")) {
        throw new KcertException(
            source + ": encrypted or annotated PEM block " + label + " is not supported");
      }
      byte[] der;
      try {
        der = decodeBase64(body);
      } catch (IllegalArgumentException e) {
        throw new KcertException(source + ": invalid base64 in PEM block " + label);
      }
      if (der.length == 0) {
        throw new KcertException(source + ": empty PEM block " + label);
      }
      blocks.add(new PemBlock(type, der));
      pos = end + endMarker.length();
    }
    return blocks;
  }

  /**
   * A PEM label as messages may show it: file content, so only a plain label (capital letters,
   * digits and spaces, as RFC 7468 labels are) is repeated; anything else is described.
   */
  static String label(String type) {
    return type.length() <= 40 && type.matches("[A-Z0-9 ]+") ? type : "(with an unusual label)";
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
