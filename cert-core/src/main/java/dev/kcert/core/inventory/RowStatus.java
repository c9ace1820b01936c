package dev.kcert.core.inventory;

/** Whether a catalogue entry's certificate could be read. */
public enum RowStatus {
  /** The certificate was read. */
  PRESENT,
  /** The file does not exist. */
  MISSING,
  /** The file exists but could not be read as what it should be. */
  INVALID
}
