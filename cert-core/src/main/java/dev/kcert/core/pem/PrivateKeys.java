package dev.kcert.core.pem;

import dev.kcert.core.model.KcertException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * Private keys in PEM: PKCS#1 ({@code RSA PRIVATE KEY}), SEC1 ({@code EC PRIVATE KEY}) and PKCS#8
 * ({@code PRIVATE KEY}). Bouncy Castle's ASN.1 classes translate the first two into PKCS#8 for the
 * JDK's key factories; no security provider is installed.
 */
public final class PrivateKeys {
  public static final String PKCS1_RSA = "RSA PRIVATE KEY";
  public static final String SEC1_EC = "EC PRIVATE KEY";
  public static final String PKCS8 = "PRIVATE KEY";

  private PrivateKeys() {}

  /** Reads the first private key block of a file (a key file, or a cert+key bundle). */
  public static PrivateKey read(Path file) {
    return parse(Pem.readFile(file), file.toString());
  }

  public static PrivateKey parse(byte[] pem, String source) {
    for (PemBlock block : Pem.parse(pem, source)) {
      switch (block.type()) {
        case PKCS1_RSA:
          return fromPkcs1(block.der(), source);
        case SEC1_EC:
          return fromSec1(block.der(), source);
        case PKCS8:
          return fromPkcs8(block.der(), source);
        case "ENCRYPTED PRIVATE KEY":
          throw new KcertException(source + ": encrypted private keys are not supported");
        default:
          // certificates and parameters may sit beside the key
      }
    }
    throw new KcertException(source + ": does not contain a PEM encoded private key");
  }

  private static PrivateKey fromPkcs1(byte[] der, String source) {
    try {
      org.bouncycastle.asn1.pkcs.RSAPrivateKey rsa =
          org.bouncycastle.asn1.pkcs.RSAPrivateKey.getInstance(ASN1Primitive.fromByteArray(der));
      PrivateKeyInfo info =
          new PrivateKeyInfo(
              new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE), rsa);
      return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new KcertException(source + ": malformed RSA private key: " + KcertException.oneLine(e), e);
    }
  }

  private static PrivateKey fromSec1(byte[] der, String source) {
    try {
      org.bouncycastle.asn1.sec.ECPrivateKey ec =
          org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(ASN1Primitive.fromByteArray(der));
      if (!(ec.getParametersObject() instanceof ASN1ObjectIdentifier curve)) {
        throw new KcertException(source + ": EC private key does not name its curve");
      }
      // SEC1 keys may omit the public key; PKCS#8 does not need it.
      PrivateKeyInfo info =
          new PrivateKeyInfo(
              new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, curve), ec);
      return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    } catch (KcertException e) {
      throw e;
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new KcertException(source + ": malformed EC private key: " + KcertException.oneLine(e), e);
    }
  }

  private static PrivateKey fromPkcs8(byte[] der, String source) {
    try {
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(der);
      String oid = info.getPrivateKeyAlgorithm().getAlgorithm().getId();
      String alg =
          switch (oid) {
            case "1.2.840.113549.1.1.1" -> "RSA";
            case "1.2.840.10045.2.1" -> "EC";
            case "1.3.101.112" -> "Ed25519";
            default -> throw new KcertException(source + ": unsupported key algorithm " + oid);
          };
      return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (KcertException e) {
      throw e;
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new KcertException(source + ": malformed private key: " + KcertException.oneLine(e), e);
    }
  }

  /**
   * Encodes a key pair's private key as kubeadm writes it: PKCS#1 for RSA, SEC1 with the named curve
   * and the public key for ECDSA (so that openssl and Bouncy Castle read it back), PKCS#8 otherwise.
   */
  public static String toPem(KeyPair pair) {
    PrivateKey key = pair.getPrivate();
    try {
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
      if (key instanceof RSAPrivateKey) {
        return Pem.encode(PKCS1_RSA, info.parsePrivateKey().toASN1Primitive().getEncoded());
      }
      if (key instanceof ECPrivateKey ecKey) {
        ASN1ObjectIdentifier curve =
            ASN1ObjectIdentifier.getInstance(info.getPrivateKeyAlgorithm().getParameters());
        SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(pair.getPublic().getEncoded());
        BigInteger order = ecKey.getParams().getOrder();
        org.bouncycastle.asn1.sec.ECPrivateKey sec1 =
            new org.bouncycastle.asn1.sec.ECPrivateKey(
                order.bitLength(),
                ecKey.getS(),
                new DERBitString(spki.getPublicKeyData().getBytes()),
                curve);
        return Pem.encode(SEC1_EC, sec1.getEncoded());
      }
      return Pem.encode(PKCS8, key.getEncoded());
    } catch (IOException e) {
      throw new KcertException("cannot encode private key: " + KcertException.oneLine(e), e);
    }
  }

}
