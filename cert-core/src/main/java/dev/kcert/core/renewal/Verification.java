package dev.kcert.core.renewal;

import dev.kcert.core.keys.KeyPairs;
import dev.kcert.core.kubeconfig.CredentialRef;
import dev.kcert.core.kubeconfig.Kubeconfig;
import dev.kcert.core.kubeconfig.KubeconfigCredentials;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Certificates;
import dev.kcert.core.pem.PrivateKeys;
import dev.kcert.core.pki.CertificateInfo;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;

/** Reads installed files back and checks them against what was meant to be written. */
final class Verification {
  private Verification() {}

  /** A leaf's certificate and key files. */
  static Runnable leaf(
      Path crt, Path key, CaStore.Ca ca, X509Certificate expected, Identity identity, boolean usages) {
    return () -> {
      X509Certificate cert = Certificates.readBundle(crt).get(0);
      PrivateKey privateKey = PrivateKeys.read(key);
      check(crt.toString(), cert, privateKey, key.toString(), ca, expected, identity, usages);
    };
  }

  /** A kubeconfig's embedded client certificate, key and cluster CA. */
  static Runnable kubeconfig(
      Path file, CaStore.Ca ca, X509Certificate expected, Identity identity, boolean usages) {
    return () -> {
      KubeconfigCredentials creds = Kubeconfig.read(file).credentials();
      CredentialRef certRef = require(creds.clientCertificate(), file, "client certificate");
      CredentialRef keyRef = require(creds.clientKey(), file, "client key");
      CredentialRef caRef = require(creds.certificateAuthority(), file, "certificate authority");
      X509Certificate cert = Certificates.parseBundle(certRef.load(), certRef.describe()).get(0);
      PrivateKey privateKey = PrivateKeys.parse(keyRef.load(), keyRef.describe());
      if (!Arrays.equals(caRef.load(), ca.certificatePem())) {
        throw KcertException.about(
            file, "certificate-authority-data differs from " + ca.entry().baseName() + ".crt");
      }
      check(
          certRef.describe(),
          cert,
          privateKey,
          keyRef.describe(),
          ca,
          expected,
          identity,
          usages);
    };
  }

  private static void check(
      String certSource,
      X509Certificate cert,
      PrivateKey key,
      String keySource,
      CaStore.Ca ca,
      X509Certificate expected,
      Identity identity,
      boolean usages) {
    if (!cert.getSerialNumber().equals(expected.getSerialNumber())
        || !cert.getNotAfter().equals(expected.getNotAfter())) {
      throw new KcertException(certSource + ": does not hold the certificate that was written");
    }
    if (!Certificates.isSignedBy(cert, ca.certificate())) {
      throw new KcertException(certSource + ": is not signed by " + ca.entry().name());
    }
    if (!KeyPairs.matches(key, cert.getPublicKey())) {
      throw new KcertException(keySource + ": private key does not match the certificate");
    }
    List<String> diff = identity.differences(Identity.of(CertificateInfo.of(cert)), usages);
    if (!diff.isEmpty()) {
      throw new KcertException(certSource + ": carries " + String.join(", ", diff));
    }
  }

  private static CredentialRef require(CredentialRef ref, Path file, String what) {
    if (ref == null) {
      throw KcertException.about(file, "has no " + what);
    }
    return ref;
  }
}
