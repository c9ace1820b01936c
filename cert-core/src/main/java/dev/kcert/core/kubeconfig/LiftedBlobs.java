package dev.kcert.core.kubeconfig;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Takes the embedded certificates and keys out of kubeconfig text before the YAML parser sees it,
 * and puts them back into the parsed tree.
 *
 * <p>Most of a kubeconfig is three base64 values ({@code certificate-authority-data},
 * {@code client-certificate-data}, {@code client-key-data}), and SnakeYAML scans every character of
 * a plain scalar one code point at a time: reading those values was over half the time of a fleet
 * scan. A value is lifted only in the form kubectl and kubeadm write, which YAML reads as exactly
 * that text: one of those keys, unquoted, alone on its line (after indentation and an optional
 * {@code "- "}), a colon, spaces, then base64 characters to the end of the line. It is replaced by
 * a token holding a random marker; after parsing, each token must be found as the whole value of
 * its key, and the marker nowhere else (it would be, had a lifted line sat inside a block or quoted
 * scalar). Otherwise the caller parses the original text as it is.
 */
final class LiftedBlobs {
  private static final String[] KEYS = {
    "certificate-authority-data", "client-certificate-data", "client-key-data"
  };
  /** Shorter values are left in place: lifting them saves nothing. */
  private static final int MIN_LENGTH = 64;

  private final String marker;
  private final List<String> values;
  private final List<String> keys;
  private final String text;

  private LiftedBlobs(String marker, List<String> values, List<String> keys, String text) {
    this.marker = marker;
    this.values = values;
    this.keys = keys;
    this.text = text;
  }

  /**
   * Lifts the values out of UTF-8 {@code yaml}; {@link #text()} is what to parse. Works on the bytes:
   * every byte it looks for is ASCII, and no byte of a multi-byte UTF-8 character is.
   */
  static LiftedBlobs lift(byte[] yaml) {
    String marker =
        "kcert-lifted-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE) + "-";
    List<String> values = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    StringBuilder out = null;
    int copied = 0;
    int n = yaml.length;
    for (int pos = 0; pos < n; ) {
      int eol = pos;
      while (eol < n && yaml[eol] != '\n') {
        eol++;
      }
      int keyStart = keyStart(yaml, pos, eol);
      String key = keyStart < 0 ? null : keyAt(yaml, keyStart, eol);
      if (key != null) {
        int start = keyStart + key.length() + 1;
        while (start < eol && yaml[start] == ' ') {
          start++;
        }
        int end = eol;
        if (end > start && yaml[end - 1] == '\r') {
          end--;
        }
        while (end > start && yaml[end - 1] == ' ') {
          end--;
        }
        if (end - start >= MIN_LENGTH && isBase64(yaml, start, end)) {
          if (out == null) {
            out = new StringBuilder(n / 4);
          }
          out.append(new String(yaml, copied, start - copied, StandardCharsets.UTF_8))
              .append(marker)
              .append(values.size());
          values.add(new String(yaml, start, end - start, StandardCharsets.ISO_8859_1));
          keys.add(key);
          copied = end;
        }
      }
      pos = eol + 1;
    }
    if (out == null) {
      return new LiftedBlobs(marker, values, keys, new String(yaml, StandardCharsets.UTF_8));
    }
    out.append(new String(yaml, copied, n - copied, StandardCharsets.UTF_8));
    return new LiftedBlobs(marker, values, keys, out.toString());
  }

  /** The text to parse: the original, or the original with the values replaced by tokens. */
  String text() {
    return text;
  }

  /**
   * Puts the values back into the parsed tree.
   *
   * @return false when a token was not where it was put: the tree is unusable, parse the original
   */
  boolean restore(Object tree) {
    if (values.isEmpty()) {
      return true;
    }
    int[] restored = {0};
    return restore(tree, restored) && restored[0] == values.size();
  }

  private boolean restore(Object node, int[] restored) {
    if (node instanceof Map<?, ?> map) {
      @SuppressWarnings("unchecked")
      Map<Object, Object> m = (Map<Object, Object>) map;
      for (Map.Entry<Object, Object> e : m.entrySet()) {
        if (!restore(e.getKey(), restored)) {
          return false;
        }
        if (e.getValue() instanceof String s && s.startsWith(marker)) {
          int i = index(s);
          if (i < 0 || !keys.get(i).equals(e.getKey())) {
            return false;
          }
          e.setValue(values.get(i));
          restored[0]++;
        } else if (!restore(e.getValue(), restored)) {
          return false;
        }
      }
      return true;
    }
    if (node instanceof List<?> list) {
      for (Object item : list) {
        if (!restore(item, restored)) {
          return false;
        }
      }
      return true;
    }
    return !(node instanceof String s) || !s.contains(marker);
  }

  private int index(String token) {
    try {
      int i = Integer.parseInt(token.substring(marker.length()));
      return i < values.size() ? i : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static final byte[][] KEY_BYTES = {
    KEYS[0].getBytes(StandardCharsets.US_ASCII),
    KEYS[1].getBytes(StandardCharsets.US_ASCII),
    KEYS[2].getBytes(StandardCharsets.US_ASCII)
  };
  private static final boolean[] BASE64 = new boolean[128];

  static {
    for (char c : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".toCharArray()) {
      BASE64[c] = true;
    }
  }

  /** Where a key may start on the line: after the indentation and an optional {@code "- "}. */
  private static int keyStart(byte[] yaml, int pos, int eol) {
    int i = pos;
    while (i < eol && yaml[i] == ' ') {
      i++;
    }
    if (i + 1 < eol && yaml[i] == '-' && yaml[i + 1] == ' ') {
      i += 2;
      while (i < eol && yaml[i] == ' ') {
        i++;
      }
    }
    return i < eol ? i : -1;
  }

  /** The key at {@code i} when it is one of ours followed by {@code ": "}, else null. */
  private static String keyAt(byte[] yaml, int i, int eol) {
    for (int k = 0; k < KEYS.length; k++) {
      byte[] key = KEY_BYTES[k];
      int colon = i + key.length;
      if (colon + 1 < eol && yaml[colon] == ':' && yaml[colon + 1] == ' '
          && Arrays.equals(yaml, i, colon, key, 0, key.length)) {
        return KEYS[k];
      }
    }
    return null;
  }

  private static boolean isBase64(byte[] s, int from, int to) {
    int i = from;
    while (i < to && s[i] >= 0 && BASE64[s[i]]) {
      i++;
    }
    int pad = 0;
    while (i < to && s[i] == '=' && pad < 2) {
      i++;
      pad++;
    }
    return i == to;
  }
}
