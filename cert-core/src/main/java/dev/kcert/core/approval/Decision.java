package dev.kcert.core.approval;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of judging one request. Messages quote what the request says; control characters
 * in them are escaped ({@link Escapes#controls}) so they are safe in logs, conditions and Events.
 */
public sealed interface Decision {

  /** The result label: {@code approve}, {@code deny}, {@code retry} or {@code ignore}. */
  String result();

  /** The CamelCase reason: a condition reason for approve and deny, a label for all. */
  String reason();

  /** One line saying why, precise enough to act on. */
  String message();

  /** The condition reason written when approving. */
  String APPROVE_REASON = "KcertApproved";

  /** Approve: every check passed. */
  record Approve(String message) implements Decision {
    public Approve {
      message = Escapes.controls(Objects.requireNonNull(message));
    }

    @Override
    public String result() {
      return "approve";
    }

    @Override
    public String reason() {
      return APPROVE_REASON;
    }
  }

  /** Deny, for a stable reason. */
  record Deny(DenyReason why, String message) implements Decision {
    public Deny {
      Objects.requireNonNull(why);
      message = Escapes.controls(Objects.requireNonNull(message));
    }

    @Override
    public String result() {
      return "deny";
    }

    @Override
    public String reason() {
      return why.reason();
    }
  }

  /**
   * Leave pending and judge again later.
   *
   * @param until when waiting ends: past it the same condition is denied; empty when waiting has
   *     no end (flood guard)
   */
  record Retry(RetryReason why, String message, Optional<Instant> until) implements Decision {
    public Retry {
      Objects.requireNonNull(why);
      message = Escapes.controls(Objects.requireNonNull(message));
      Objects.requireNonNull(until);
    }

    @Override
    public String result() {
      return "retry";
    }

    @Override
    public String reason() {
      return why.reason();
    }
  }

  /** Not ours, or already decided: never touched. */
  record Ignore(IgnoreReason why, String message) implements Decision {
    public Ignore {
      Objects.requireNonNull(why);
      message = Escapes.controls(Objects.requireNonNull(message));
    }

    @Override
    public String result() {
      return "ignore";
    }

    @Override
    public String reason() {
      return why.reason();
    }
  }
}
