package dev.kcert.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaCommandTest {
  @TempDir Path root;
  String[] dirs;

  @BeforeEach
  void pki() {
    dirs = Cli.controlPlane(root);
  }

  Cli.Run ca(String verb, String... more) {
    return Cli.run(Cli.args(Cli.args(new String[] {"ca", verb}, dirs), more));
  }

  @Test
  void planPrintsEveryPlaceAndThePhases() {
    Cli.Run r = ca("plan");
    assertThat(r.code()).isZero();
    assertThat(r.out()).containsPattern("^KIND +PLACE +HOLDS +DETAIL +FILE\n")
        .containsPattern("signer-file +kube-controller-manager --cluster-signing-cert-file +old-only")
        .containsPattern("kubelet-config +kubelet authentication.x509.clientCAFile +old-only")
        .containsPattern("client-cert +admin.conf +old-only +signed by old")
        .contains("Phases of the rotation of ca (now: none):")
        .contains("  [    ] 2. trust-both: every trust place holds old+new");
  }

  @Test
  void planAsJsonHasStableFields() throws Exception {
    ca("prepare", "--key-algorithm", "ECDSA-P256");
    Cli.Run r = ca("plan", "--ca", "ca", "-o", "json");
    assertThat(r.code()).isZero();
    JsonNode doc = new ObjectMapper().readTree(r.out());
    assertThat(doc.get("apiVersion").asText()).isEqualTo("kcert.dev/v1alpha1");
    assertThat(doc.get("kind").asText()).isEqualTo("CaRotationPlan");
    assertThat(doc.get("phase").asText()).isEqualTo("prepare");
    assertThat(doc.get("phases").get(0).get("done").asBoolean()).isTrue();
    assertThat(doc.get("phases").get(1).get("phase").asText()).isEqualTo("trust-both");
    JsonNode first = doc.get("places").get(0);
    assertThat(first.get("kind").asText()).isEqualTo("ca-file");
    assertThat(first.get("trust").asText()).isEqualTo("old-only");
  }

  @Test
  void phasesRunInOrderAndDryRunPrintsTheMatrix() {
    assertThat(ca("prepare", "--key-algorithm", "ECDSA-P256").code()).isZero();
    Cli.Run early = ca("reissue");
    assertThat(early.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(early.err()).isEqualTo("error: ca: reissue follows trust-both, but this rotation is at prepare\n");
    Cli.Run dry = ca("trust-both", "--dry-run");
    assertThat(dry.code()).isZero();
    assertThat(dry.out()).contains("CERTIFICATE                SIGNED BY   TRUST-BOTH   REISSUE\n")
        .contains("apiserver                  old         ok           ok\n")
        .contains("ca: trust-both would succeed; nothing was written\n");
    Cli.Run done = ca("trust-both");
    assertThat(done.out()).startsWith("ca: trust-both done: ");
    assertThat(ca("trust-both").out()).startsWith("ca: trust-both is done already; nothing was written\n");
    Cli.Run status = ca("status");
    assertThat(status.code()).isZero();
    assertThat(status.out()).isEqualTo("ca: phase trust-both, proven on disk\nnext: kcert ca reissue --ca ca\n");
    for (String verb : new String[] {"reissue", "trust-new"}) {
      assertThat(ca(verb).code()).as(verb).isZero();
    }
    Cli.Run finish = ca("finish");
    assertThat(finish.code()).isZero();
    assertThat(finish.out()).containsPattern("join commands now need --discovery-token-ca-cert-hash sha256:[0-9a-f]{64}\n");
  }

  @Test
  void statusFailsWhenTheDiskContradictsThePhase() throws Exception {
    ca("prepare", "--key-algorithm", "ECDSA-P256");
    ca("trust-both");
    Files.copy(root.resolve("pki/kcert-rotation/ca/old.crt"), root.resolve("pki/ca.crt"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Cli.Run status = ca("status");
    assertThat(status.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(status.out()).startsWith("ca: phase trust-both, NOT proven on disk:\n  "
        + root.resolve("pki/ca.crt") + ": holds old, not old,new\n");
    Cli.Run abort = ca("abort");
    assertThat(abort.code()).isZero();
    assertThat(ca("status").out()).isEqualTo("ca: phase none, proven on disk\nnext: kcert ca prepare --ca ca\n");
  }

  @Test
  void prepareWithARequestLeavesAKeyAndACsrOnly() throws Exception {
    Cli.Run r = ca("prepare", "--request", "--key-algorithm", "ECDSA-P256");
    assertThat(r.code()).isZero();
    assertThat(r.out()).startsWith("ca: prepare --request done: 2 files written\n");
    Path dir = root.resolve("pki/kcert-rotation/ca");
    assertThat(Files.readString(dir.resolve("new.csr"))).startsWith("-----BEGIN CERTIFICATE REQUEST-----");
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(dir.resolve("new.key")))).isEqualTo("rw-------");
    assertThat(dir.resolve("state")).doesNotExist();
    Cli.Run bad = ca("prepare", "--complete", root.resolve("pki/apiserver.crt").toString());
    assertThat(bad.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(bad.err()).isEqualTo("error: " + root.resolve("pki/apiserver.crt")
        + ": is not a CA certificate (basicConstraints CA:TRUE missing)\n");
  }

  Cli.Run ca(java.time.Clock clock, String verb, String... more) {
    return Cli.run(clock, Cli.args(Cli.args(new String[] {"ca", verb}, dirs), more));
  }

  @Test
  void theServiceAccountKeyPairRotatesThroughTheSameCommands() throws Exception {
    Cli.Run plan = ca("plan", "--ca", "sa");
    assertThat(plan.code()).isZero();
    assertThat(plan.out())
        .containsPattern("sa-key +sa.key +old-only +signs with old +" + root.resolve("pki/sa.key"))
        .containsPattern("manifest-flag +kube-apiserver --service-account-key-file +old-only +old")
        .containsPattern("signing-key-flag +kube-controller-manager --service-account-private-key-file"
            + " +old-only +signs with old")
        .contains("Phases of the rotation of sa (now: none):");
    assertThat(ca("prepare", "--ca", "sa", "--cross-sign").err())
        .isEqualTo("error: --ca sa has no certificate: prepare takes --key-algorithm, or --import-key"
            + " with --import-pub\n");
    Cli.Run prepared = ca("prepare", "--ca", "sa");
    assertThat(prepared.code()).isZero();
    assertThat(prepared.out()).startsWith("sa: prepare done: 5 files written\n");
    Cli.Run restart = ca("trust-both", "--ca", "sa", "--restart");
    assertThat(restart.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(restart.err()).startsWith("error: --restart is not offered for --ca sa");
    assertThat(ca("trust-both", "--ca", "sa").out()).startsWith("sa: trust-both done: 1 file written");
    Cli.Run reissue = ca("reissue", "--ca", "sa", "--dry-run");
    assertThat(reissue.out()).contains("sa.key (signs new tokens)   new         ok        ok");
    assertThat(ca("reissue", "--ca", "sa").out()).startsWith("sa: reissue done: 2 files written");
    Cli.Run early = ca("trust-new", "--ca", "sa");
    assertThat(early.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(early.err()).startsWith("error: sa: trust-new refused: reissue switched signing at " + Cli.NOW);
    Cli.Run status = ca("status", "--ca", "sa");
    assertThat(status.out()).isEqualTo("sa: phase reissue, proven on disk\n"
        + "tokens: the new key signs since " + Cli.NOW + "; trust-new from " + Cli.NOW.plusSeconds(86400)
        + " (the kubelets refresh projected tokens by then)\nnext: kcert ca trust-new --ca sa\n");
    java.time.Clock later = java.time.Clock.offset(Cli.CLOCK, java.time.Duration.ofHours(25));
    assertThat(ca(later, "trust-new", "--ca", "sa").code()).isZero();
    assertThat(ca(later, "finish", "--ca", "sa").code()).isZero();
    JsonNode doc = new ObjectMapper().readTree(ca("status", "--ca", "sa", "-o", "json").out());
    assertThat(doc.get("phase").asText()).isEqualTo("finish");
    assertThat(doc.get("proven").asBoolean()).isTrue();
    assertThat(Files.readString(root.resolve("pki/sa.pub")))
        .isEqualTo(Files.readString(root.resolve("pki/kcert-rotation/sa/new.pub")));
  }

  @Test
  void anUnknownCaIsOneLine() {
    Cli.Run r = ca("plan", "--ca", "bogus");
    assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err()).isEqualTo("error: unknown CA \"bogus\"; one of ca, front-proxy-ca, etcd-ca, sa\n");
  }

  @Test
  void helpNamesThePhasesAndExitCodes() {
    Cli.Run r = Cli.run("ca", "--help");
    assertThat(r.out()).contains("plan", "prepare", "trust-both", "reissue", "trust-new", "finish",
        "status", "abort", "Exit codes:");
    Cli.Run phase = Cli.run("ca", "reissue", "--help");
    assertThat(phase.out()).contains("Enters phase reissue: client certificates, then server certificates");
  }
}
