package dev.kcert.agent;

import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.TestAbortedException;

/**
 * Adds to a failing test's message what the fake kubelets of its last {@link Cluster} did, with
 * times: a rollout that failed because a component did not come back then shows whether the fake
 * started it late, failed to start it, or told the mirror pod late.
 */
final class KubeletJournals implements BeforeEachCallback, TestExecutionExceptionHandler {
  @Override
  public void beforeEach(ExtensionContext context) {
    Cluster.last = null;
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
    Cluster cluster = Cluster.last;
    if (cluster == null || failure instanceof TestAbortedException) {
      throw failure;
    }
    throw new AssertionError(failure + "\n--- what the fake kubelets did ---\n" + cluster.journals(), failure);
  }
}
