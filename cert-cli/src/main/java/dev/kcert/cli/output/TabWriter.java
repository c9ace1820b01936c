package dev.kcert.cli.output;

import java.util.ArrayList;
import java.util.List;

/**
 * Column alignment with the geometry of Go's {@code text/tabwriter} as kubeadm configures it
 * (minimum width 10, padding 3, space padding): cells are tab-terminated; a column block is a run of
 * adjacent lines that have a cell in that column; each cell is padded to the block's widest cell
 * plus the padding; the text after a line's last tab is written as it is.
 */
public final class TabWriter {
  private final int minWidth;
  private final int padding;
  private final List<String[]> lines = new ArrayList<>();

  public TabWriter(int minWidth, int padding) {
    this.minWidth = minWidth;
    this.padding = padding;
  }

  /** kubeadm's settings: {@code tabwriter.NewWriter(w, 10, 4, 3, ' ', 0)}. */
  public static TabWriter kubeadm() {
    return new TabWriter(10, 3);
  }

  /** Adds one line; tabs separate its cells. */
  public TabWriter line(String text) {
    lines.add(text.split("\t", -1));
    return this;
  }

  /** The aligned text, every line ended by a newline. */
  public String render() {
    StringBuilder out = new StringBuilder();
    format(out, new ArrayList<>(), 0, lines.size());
    return out.toString();
  }

  private void format(StringBuilder out, List<Integer> widths, int line0, int line1) {
    int column = widths.size();
    for (int at = line0; at < line1; at++) {
      if (column >= lines.get(at).length - 1) {
        continue;
      }
      // a block of lines with a cell in this column begins here
      writeLines(out, widths, line0, at);
      line0 = at;
      int width = minWidth;
      for (; at < line1; at++) {
        String[] line = lines.get(at);
        if (column >= line.length - 1) {
          break;
        }
        width = Math.max(width, line[column].length() + padding);
      }
      widths.add(width);
      format(out, widths, line0, at);
      widths.remove(widths.size() - 1);
      line0 = at;
    }
    writeLines(out, widths, line0, line1);
  }

  private void writeLines(StringBuilder out, List<Integer> widths, int line0, int line1) {
    for (int i = line0; i < line1; i++) {
      String[] cells = lines.get(i);
      for (int j = 0; j < cells.length; j++) {
        out.append(cells[j]);
        if (j < widths.size()) {
          for (int k = cells[j].length(); k < widths.get(j); k++) {
            out.append(' ');
          }
        }
      }
      out.append('\n');
    }
  }
}
