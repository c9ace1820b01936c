package dev.kcert.core.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.kcert.core.model.Catalogue;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pki.PkiLayout;
import dev.kcert.core.testing.TestPki;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PkiInventoryTest {
  @TempDir Path tmp;
  PkiLayout layout;

  @BeforeEach
  void pki() {
    layout = TestPki.in(tmp.resolve("etc")).create();
  }

  private Inventory scan() {
    return PkiInventory.scan(layout, new InventoryOptions(false, true));
  }

  @Test
  void aFreshPkiIsCompleteAndClean() {
    Inventory inv = scan();
    assertThat(inv.authorities()).extracting(InventoryRow::name)
        .containsExactly("ca", "etcd-ca", "front-proxy-ca");
    assertThat(inv.certificates()).extracting(InventoryRow::name)
        .containsExactly(
            "admin.conf", "apiserver", "apiserver-etcd-client", "apiserver-kubelet-client",
            "controller-manager.conf", "etcd-healthcheck-client", "etcd-peer", "etcd-server",
            "front-proxy-client", "scheduler.conf", "super-admin.conf");
    assertThat(inv.problems()).isEmpty();
    assertThat(inv.certificates()).allMatch(InventoryRow::isPresent);
    assertThat(inv.certificates()).noneMatch(InventoryRow::externallyManaged);
    InventoryRow apiserver = inv.row("apiserver").orElseThrow();
    assertThat(apiserver.info().commonName()).isEqualTo("kube-apiserver");
    assertThat(apiserver.info().dnsNames())
        .containsExactly(
            "cp-1", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local");
    assertThat(apiserver.info().ipAddressStrings()).containsExactly("10.96.0.1", "192.168.10.11");
    assertThat(inv.row("admin.conf").orElseThrow().info().organizations())
        .containsExactly("kubeadm:cluster-admins");
  }

  @Test
  void missingFilesAreRowsNotErrors() throws Exception {
    Files.delete(layout.kubeconfigDir().resolve("super-admin.conf"));
    Files.delete(layout.certDir().resolve("etcd/server.crt"));
    Files.delete(layout.certDir().resolve("front-proxy-ca.crt"));
    Inventory inv = scan();
    assertThat(inv.row("super-admin.conf").orElseThrow().isMissing()).isTrue();
    assertThat(inv.row("etcd-server").orElseThrow().isMissing()).isTrue();
    assertThat(inv.row("front-proxy-ca").orElseThrow().isMissing()).isTrue();
    assertThat(inv.row("front-proxy-client").orElseThrow().isPresent()).isTrue();
    assertThat(inv.hasErrors()).isFalse();
  }

  @Test
  void aCorruptCertificateIsAnInvalidRowAndTheRestIsStillRead() throws Exception {
    Path crt = layout.certDir().resolve("apiserver.crt");
    String pem = Files.readString(crt);
    Files.writeString(crt, pem.substring(0, pem.length() / 2));
    Inventory inv = scan();
    InventoryRow row = inv.row("apiserver").orElseThrow();
    assertThat(row.isInvalid()).isTrue();
    assertThat(row.error())
        .isEqualTo(crt + ": truncated PEM block (BEGIN CERTIFICATE without END CERTIFICATE)");
    assertThat(errors(inv)).containsExactly(row.error());
    assertThat(inv.certificates().stream().filter(InventoryRow::isPresent)).hasSize(10);
  }

  @Test
  void aCaThatIsNotACaIsAnError() throws Exception {
    Path ca = layout.certDir().resolve("front-proxy-ca.crt");
    Files.copy(layout.certDir().resolve("front-proxy-client.crt"), ca, StandardCopyOption.REPLACE_EXISTING);
    Inventory inv = scan();
    assertThat(errors(inv))
        .contains(ca + ": is not a CA certificate (basicConstraints CA:FALSE or absent)");
  }

  @Test
  void aLeafSignedByAnotherCaIsAnErrorFoundBySignatureNotName() throws Exception {
    // all three CAs named alike would fool a name comparison; the signature check is not fooled
    Path leaf = layout.certDir().resolve("apiserver-etcd-client.crt");
    Files.copy(layout.certDir().resolve("apiserver-kubelet-client.crt"), leaf, StandardCopyOption.REPLACE_EXISTING);
    Files.copy(layout.certDir().resolve("apiserver-kubelet-client.key"),
        layout.certDir().resolve("apiserver-etcd-client.key"), StandardCopyOption.REPLACE_EXISTING);
    assertThat(errors(scan())).containsExactly(leaf + ": certificate is not signed by etcd-ca (ca.crt)");
  }

  @Test
  void aKeyThatDoesNotMatchItsCertificateIsAnError() throws Exception {
    Path key = layout.certDir().resolve("apiserver.key");
    Files.copy(layout.certDir().resolve("front-proxy-client.key"), key, StandardCopyOption.REPLACE_EXISTING);
    assertThat(errors(scan())).containsExactly(key + ": private key does not match the certificate");
    assertThat(PkiInventory.scan(layout, InventoryOptions.DEFAULT).problems())
        .as("keys are only read when asked").isEmpty();
  }

  @Test
  void aKubeconfigKeyMismatchNamesTheField() throws Exception {
    Path admin = layout.kubeconfigDir().resolve("admin.conf");
    Path sched = layout.kubeconfigDir().resolve("scheduler.conf");
    String adminText = Files.readString(admin);
    String schedKey = field(Files.readString(sched), "client-key-data");
    Files.writeString(admin, adminText.replace(field(adminText, "client-key-data"), schedKey));
    assertThat(errors(scan()))
        .containsExactly(admin + " (client-key-data): private key does not match the certificate");
  }

  @Test
  void garbageBase64InAKubeconfigIsAnInvalidRow() throws Exception {
    Path admin = setAdminField("client-certificate-data", "not-base64!");
    InventoryRow row = scan().row("admin.conf").orElseThrow();
    assertThat(row.isInvalid()).isTrue();
    assertThat(row.error())
        .isEqualTo(admin + ": users[kubernetes-admin].client-certificate-data is not valid base64");
  }

  @Test
  void anEmbeddedCaWrittenOtherwiseIsTheSameCa() throws Exception {
    // the same certificate with 76-character lines and a comment: other bytes, same CA
    Path admin = layout.kubeconfigDir().resolve("admin.conf");
    String text = Files.readString(admin);
    String pem = new String(Pem.decodeBase64(field(text, "certificate-authority-data")), StandardCharsets.US_ASCII);
    String body = pem.replaceAll("-----[A-Z ]+-----", "").replace("\n", "");
    StringBuilder rewrapped = new StringBuilder("# the cluster CA\n-----BEGIN CERTIFICATE-----\n");
    for (int i = 0; i < body.length(); i += 76) {
      rewrapped.append(body, i, Math.min(body.length(), i + 76)).append('\n');
    }
    rewrapped.append("-----END CERTIFICATE-----\n");
    setAdminField("certificate-authority-data", base64(rewrapped.toString()));
    assertThat(scan().problems()).isEmpty();
  }

  @Test
  void anEmbeddedCaThatIsAnotherCertificateIsAWarning() throws Exception {
    Path admin = setAdminField("certificate-authority-data",
        base64(Files.readString(layout.certDir().resolve("front-proxy-ca.crt"))));
    assertThat(scan().problems())
        .containsExactly(new Problem(Problem.Severity.WARNING, "admin.conf",
            admin + ": cluster certificate authority differs from ca.crt"));
  }

  @Test
  void anEmbeddedCaWithoutACertificateIsAnError() throws Exception {
    Path admin = setAdminField("certificate-authority-data", base64("just text\n"));
    assertThat(errors(scan()))
        .containsExactly(admin + " (certificate-authority-data): does not contain a valid PEM encoded certificate");
  }

  @Test
  void aKeyReplacedByADirectoryIsAnError() throws Exception {
    Path key = layout.certDir().resolve("apiserver.key");
    Files.delete(key);
    Files.createDirectory(key);
    Path caKey = layout.certDir().resolve("front-proxy-ca.key");
    Files.delete(caKey);
    Files.createDirectory(caKey);
    Inventory inv = scan();
    assertThat(errors(inv))
        .containsExactlyInAnyOrder(key + ": is a directory, not a file", caKey + ": is a directory, not a file");
    assertThat(inv.row("front-proxy-ca").orElseThrow().externallyManaged()).isFalse();
  }

  @Test
  void aDanglingKeyLinkIsThereButUnreadable() throws Exception {
    Path key = layout.certDir().resolve("apiserver.key");
    Files.delete(key);
    Files.createSymbolicLink(key, tmp.resolve("gone.key"));
    assertThat(errors(scan())).containsExactly(key + ": no such file");
  }

  @Test
  void aFileReplacedByADirectoryIsAnInvalidRow() throws Exception {
    Path crt = layout.certDir().resolve("etcd/peer.crt");
    Files.delete(crt);
    Files.createDirectory(crt);
    InventoryRow row = scan().row("etcd-peer").orElseThrow();
    assertThat(row.isInvalid()).isTrue();
    assertThat(row.error()).isEqualTo(crt + ": is a directory, not a file");
  }

  @Test
  void aDanglingSymlinkIsAnInvalidRow() throws Exception {
    Path crt = layout.certDir().resolve("front-proxy-client.crt");
    Files.delete(crt);
    Files.createSymbolicLink(crt, tmp.resolve("gone.crt"));
    InventoryRow row = scan().row("front-proxy-client").orElseThrow();
    assertThat(row.isInvalid()).isTrue();
    assertThat(row.error()).isEqualTo(crt + ": no such file");
  }

  @Test
  void anUnreadableFileIsAnInvalidRow() throws Exception {
    assumeThat(System.getProperty("user.name"))
        .as("root reads files whatever their mode; this case needs an ordinary user")
        .isNotEqualTo("root");
    Path crt = layout.certDir().resolve("apiserver.crt");
    Files.setPosixFilePermissions(crt, PosixFilePermissions.fromString("---------"));
    InventoryRow row = scan().row("apiserver").orElseThrow();
    assertThat(row.error()).isEqualTo(crt + ": permission denied");
  }

  @Test
  void aCaWithoutItsKeyIsExternallyManagedAndSoAreItsLeaves() throws Exception {
    Files.delete(layout.certDir().resolve("etcd/ca.key"));
    Inventory inv = scan();
    assertThat(inv.row("etcd-ca").orElseThrow().externallyManaged()).isTrue();
    assertThat(inv.row("etcd-server").orElseThrow().externallyManaged()).isTrue();
    assertThat(inv.row("apiserver-etcd-client").orElseThrow().externallyManaged()).isTrue();
    assertThat(inv.row("ca").orElseThrow().externallyManaged()).isFalse();
    assertThat(inv.row("apiserver").orElseThrow().externallyManaged()).isFalse();
    assertThat(inv.hasErrors()).isFalse();
  }

  @Test
  void aLeafKeyMissingUnderAnExternalCaIsAWarningNamingTheFile() throws Exception {
    Files.delete(layout.certDir().resolve("front-proxy-ca.key"));
    Path key = layout.certDir().resolve("front-proxy-client.key");
    Files.delete(key);
    Inventory inv = scan();
    assertThat(inv.problems())
        .containsExactly(
            new Problem(
                Problem.Severity.WARNING,
                "front-proxy-client",
                key + ": missing (front-proxy-ca is externally managed)"));
  }

  @Test
  void kubeletEntriesOnRequest() throws Exception {
    Path kubeletDir = layout.kubeletDir();
    Files.createDirectories(kubeletDir);
    // the kubelet's client bundle: certificate and key in one file, as the kubelet writes it
    String conf = Files.readString(layout.kubeconfigDir().resolve("kubelet.conf"));
    String bundle =
        new String(Pem.decodeBase64(field(conf, "client-certificate-data")), StandardCharsets.US_ASCII)
            + new String(Pem.decodeBase64(field(conf, "client-key-data")), StandardCharsets.US_ASCII);
    Files.writeString(kubeletDir.resolve("kubelet-client-current.pem"), bundle);
    Inventory inv = PkiInventory.scan(layout, new InventoryOptions(true, true));
    assertThat(inv.row(Catalogue.KUBELET_CONF).orElseThrow().info().commonName())
        .isEqualTo("system:node:cp-1");
    assertThat(inv.row("kubelet-client-current.pem").orElseThrow().isPresent()).isTrue();
    assertThat(inv.row("kubelet.crt").orElseThrow().isMissing()).isTrue();
    assertThat(inv.problems()).isEmpty();
    assertThat(scan().row(Catalogue.KUBELET_CONF)).as("only on request").isEmpty();
  }

  private static List<String> errors(Inventory inv) {
    return inv.problems().stream().filter(Problem::isError).map(Problem::message).toList();
  }

  /** Sets one field of admin.conf to {@code value}; returns the file. */
  private Path setAdminField(String name, String value) throws Exception {
    Path admin = layout.kubeconfigDir().resolve("admin.conf");
    String text = Files.readString(admin);
    Files.writeString(admin, text.replace(field(text, name), value));
    return admin;
  }

  private static String base64(String text) {
    return java.util.Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
  }

  private static String field(String yaml, String name) {
    return yaml.lines()
        .map(String::strip)
        .filter(l -> l.startsWith(name + ": "))
        .map(l -> l.substring(name.length() + 2))
        .findFirst()
        .orElseThrow();
  }
}
