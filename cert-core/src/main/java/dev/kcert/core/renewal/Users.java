package dev.kcert.core.renewal;

import com.sun.security.auth.module.UnixSystem;

/** Who is running kcert. */
final class Users {
  private Users() {}

  /** The numeric user id of this process. */
  static long effectiveUid() {
    return new UnixSystem().getUid();
  }
}
