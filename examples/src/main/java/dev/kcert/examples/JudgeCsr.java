package dev.kcert.examples;

import dev.kcert.core.approval.ApprovalPolicy;
import dev.kcert.core.approval.CsrRequest;
import dev.kcert.core.approval.Decision;
import dev.kcert.core.approval.FloodGuard;
import dev.kcert.core.approval.NodeInfo;
import dev.kcert.core.approval.PolicyConfig;
import dev.kcert.core.csr.CsrBuilder;
import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.model.ExtendedKeyUsage;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The approval policy of cert-csr-approver, without a cluster: a kubelet serving request as a node
 * would send it, judged against that node's addresses. The request asks for the SANs given on the
 * command line; any that does not belong to the node makes the policy deny it.
 *
 * <p>{@code mvn -q -pl examples -am process-classes -Prun -Dexample=JudgeCsr
 * -Dexample.args="node-a 10.0.0.21 node-a 10.0.0.21"}
 */
public final class JudgeCsr {
  private JudgeCsr() {}

  public static void main(String[] args) throws Exception {
    System.exit(run(args, System.out));
  }

  /** The command line: {@code NODE NODE-IP SAN...}; exit code 0 approved, 1 not. */
  static int run(String[] args, PrintStream out) throws Exception {
    if (args.length < 3) {
      out.println("usage: JudgeCsr NODE NODE-IP SAN...");
      return 2;
    }
    Decision d = judge(args[0], args[1], List.of(args).subList(2, args.length), out);
    return d instanceof Decision.Approve ? 0 : 1;
  }

  static Decision judge(String node, String nodeIp, List<String> sans, PrintStream out) throws Exception {
    List<String> dns = sans.stream().filter(s -> !Character.isDigit(s.charAt(0))).toList();
    List<InetAddress> ips = sans.stream().filter(s -> Character.isDigit(s.charAt(0)))
        .map(JudgeCsr::ip).toList();
    String pem = CsrBuilder.build(ApprovalPolicy.NODE_USER_PREFIX + node, List.of(ApprovalPolicy.NODES_GROUP),
        dns, ips, Set.of(ExtendedKeyUsage.SERVER_AUTH), KeyAlgorithm.ECDSA_P256.generate());
    Instant now = Instant.now();
    CsrRequest request = new CsrRequest("csr-" + node, ApprovalPolicy.KUBELET_SERVING_SIGNER,
        ApprovalPolicy.NODE_USER_PREFIX + node, List.of(ApprovalPolicy.NODES_GROUP, "system:authenticated"),
        List.of(ApprovalPolicy.DIGITAL_SIGNATURE, ApprovalPolicy.KEY_ENCIPHERMENT, ApprovalPolicy.SERVER_AUTH),
        OptionalLong.empty(), CsrRequest.CsrState.PENDING, pem.getBytes(StandardCharsets.US_ASCII), now);
    NodeInfo info = new NodeInfo(node, List.of(
        new NodeInfo.Address("Hostname", node), new NodeInfo.Address("InternalIP", nodeIp)));
    Decision d = new ApprovalPolicy(PolicyConfig.defaults()).judge(request, Optional.of(info), FloodGuard.Status.OFF, now);
    out.println(d.result() + ": " + d.reason());
    return d;
  }

  private static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address: " + literal, e);
    }
  }
}
