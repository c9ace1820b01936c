package dev.kcert.core.expiry;

/**
 * Residual time as kubeadm prints it: Kubernetes' human-readable duration on whole seconds.
 *
 * <p>Below -1 s {@code <invalid>}; below 0 {@code 0s}; below 120 s {@code Ns}; below 10 min
 * {@code NmSs} or {@code Nm}; below 3 h {@code Nm}; below 8 h {@code NhMm} or {@code Nh}; below 48
 * h {@code Nh}; below 8 days {@code NdHh} or {@code Nd}; below 2 years {@code Nd}; below 8 years
 * {@code NyDd} or {@code Ny} with 365-day years; else {@code Ny}.
 */
public final class HumanDuration {
  private HumanDuration() {}

  public static String format(long seconds) {
    if (seconds < -1) {
      return "<invalid>";
    }
    if (seconds < 0) {
      return "0s";
    }
    if (seconds < 60 * 2) {
      return seconds + "s";
    }
    long minutes = seconds / 60;
    if (minutes < 10) {
      long s = seconds % 60;
      return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
    }
    if (minutes < 60 * 3) {
      return minutes + "m";
    }
    long hours = seconds / 3600;
    if (hours < 8) {
      long m = minutes % 60;
      return m == 0 ? hours + "h" : hours + "h" + m + "m";
    }
    if (hours < 48) {
      return hours + "h";
    }
    if (hours < 24 * 8) {
      long h = hours % 24;
      return h == 0 ? hours / 24 + "d" : hours / 24 + "d" + h + "h";
    }
    if (hours < 24 * 365 * 2) {
      return hours / 24 + "d";
    }
    if (hours < 24 * 365 * 8) {
      long dy = (hours / 24) % 365;
      return dy == 0 ? hours / 24 / 365 + "y" : hours / 24 / 365 + "y" + dy + "d";
    }
    return hours / 24 / 365 + "y";
  }
}
