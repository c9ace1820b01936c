package dev.kcert.core.csr;

import dev.kcert.core.csr.CsrInfo.KeyType;
import dev.kcert.core.csr.CsrInfo.PublicKeyInfo;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.pem.Pem;
import dev.kcert.core.pem.PemBlock;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PSSParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * Reads PKCS#10 certificate signing requests (RFC 2986) as Kubernetes carries them: one PEM block
 * of type {@code CERTIFICATE REQUEST}. Every failure is a {@link KcertException} with a one-line
 * message; no input, however malformed, makes it throw anything else.
 */
public final class CsrParser {
  /** The PEM label Kubernetes requires for {@code spec.request}. */
  public static final String PEM_TYPE = "CERTIFICATE REQUEST";

  /**
   * Requests larger than this are refused before parsing. A kubelet's request with an RSA 4096 key
   * and a dozen SANs is under 3 KiB.
   */
  public static final int MAX_REQUEST_BYTES = 64 * 1024;

  private CsrParser() {}

  /**
   * Parses PEM text holding exactly one {@code CERTIFICATE REQUEST} block.
   *
   * @param source names the input in error messages
   */
  public static CsrInfo parsePem(byte[] pem, String source) {
    if (pem.length > MAX_REQUEST_BYTES) {
      throw new KcertException(
          source + ": request is " + pem.length + " bytes, more than the limit of "
              + MAX_REQUEST_BYTES);
    }
    List<PemBlock> blocks = Pem.parse(pem, source);
    if (blocks.isEmpty()) {
      throw new KcertException(source + ": no PEM block found");
    }
    if (blocks.size() > 1) {
      throw new KcertException(
          source + ": " + blocks.size() + " PEM blocks found, expected exactly one");
    }
    PemBlock block = blocks.get(0);
    if (!PEM_TYPE.equals(block.type())) {
      throw new KcertException(
          source + ": PEM block is " + block.type() + ", expected " + PEM_TYPE);
    }
    return parseDer(block.der(), source);
  }

  /** Parses a DER-encoded request. */
  public static CsrInfo parseDer(byte[] der, String source) {
    PKCS10CertificationRequest req;
    try {
      req = new PKCS10CertificationRequest(der);
    } catch (IOException | RuntimeException e) {
      throw new KcertException(
          source + ": not a PKCS#10 request: " + KcertException.oneLine(e), e);
    }
    try {
      return read(req);
    } catch (KcertException e) {
      throw new KcertException(source + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new KcertException(
          source + ": malformed PKCS#10 request: " + KcertException.oneLine(e), e);
    }
  }

  private static CsrInfo read(PKCS10CertificationRequest req) {
    X500Name subject = req.getSubject();
    List<String> cns = new ArrayList<>();
    List<String> orgs = new ArrayList<>();
    List<String> others = new ArrayList<>();
    for (RDN rdn : subject.getRDNs()) {
      for (AttributeTypeAndValue atv : rdn.getTypesAndValues()) {
        ASN1ObjectIdentifier type = atv.getType();
        if (BCStyle.CN.equals(type)) {
          cns.add(text(atv.getValue()));
        } else if (BCStyle.O.equals(type)) {
          orgs.add(text(atv.getValue()));
        } else {
          String name = BCStyle.INSTANCE.oidToDisplayName(type);
          others.add(name != null ? name : type.getId());
        }
      }
    }

    List<String> dns = new ArrayList<>();
    List<InetAddress> ips = new ArrayList<>();
    List<String> emails = new ArrayList<>();
    List<String> uris = new ArrayList<>();
    List<String> otherSans = new ArrayList<>();
    boolean ca = false;
    for (Attribute attr : req.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
      for (ASN1Encodable value : attr.getAttributeValues()) {
        Extensions exts = Extensions.getInstance(value);
        GeneralNames sans = GeneralNames.fromExtensions(exts, Extension.subjectAlternativeName);
        if (sans != null) {
          for (GeneralName gn : sans.getNames()) {
            switch (gn.getTagNo()) {
              case GeneralName.dNSName -> dns.add(text(gn.getName()));
              case GeneralName.iPAddress -> ips.add(ip(gn.getName()));
              case GeneralName.rfc822Name -> emails.add(text(gn.getName()));
              case GeneralName.uniformResourceIdentifier -> uris.add(text(gn.getName()));
              default -> otherSans.add(sanTypeName(gn.getTagNo()));
            }
          }
        }
        BasicConstraints bc = BasicConstraints.fromExtensions(exts);
        if (bc != null && bc.isCA()) {
          ca = true;
        }
        KeyUsage ku = KeyUsage.fromExtensions(exts);
        if (ku != null && (ku.hasUsages(KeyUsage.keyCertSign) || ku.hasUsages(KeyUsage.cRLSign))) {
          ca = true;
        }
      }
    }

    SubjectPublicKeyInfo spki = req.getSubjectPublicKeyInfo();
    PublicKeyInfo key = keyInfo(spki);
    boolean valid;
    String problem;
    try {
      // the JDK's providers verify every algorithm a kubelet's request is signed with (RSA,
      // ECDSA, Ed25519); Bouncy Castle's provider would load hundreds of classes (its
      // post-quantum ones too) just to be constructed, and keep them in the shipped jar
      PublicKey publicKey = jdkPublicKey(spki, key.type());
      if (PKCSObjectIdentifiers.id_RSASSA_PSS.equals(req.getSignatureAlgorithm().getAlgorithm())) {
        valid = pssSignatureValid(req, publicKey);
      } else {
        ContentVerifierProvider verifier = new JcaContentVerifierProviderBuilder().build(publicKey);
        valid = req.isSignatureValid(verifier);
      }
      problem = valid ? "" : "signature does not verify with the request's public key";
    } catch (Exception e) {
      valid = false;
      problem = "signature cannot be checked: " + KcertException.oneLine(e);
    }
    return new CsrInfo(
        subject.toString(),
        cns,
        orgs,
        others,
        dns,
        ips,
        emails,
        uris,
        otherSans,
        ca,
        key,
        valid,
        problem);
  }

  /**
   * RSASSA-PSS, whose hash, mask and salt length are parameters of the signature algorithm: the
   * JDK names it by one name and takes the parameters as they are encoded in the request.
   */
  private static boolean pssSignatureValid(PKCS10CertificationRequest req, PublicKey key)
      throws IOException, GeneralSecurityException {
    ASN1Encodable encoded = req.getSignatureAlgorithm().getParameters();
    if (encoded == null) {
      throw new GeneralSecurityException("RSASSA-PSS without parameters");
    }
    AlgorithmParameters params = AlgorithmParameters.getInstance("RSASSA-PSS");
    params.init(encoded.toASN1Primitive().getEncoded(ASN1Encoding.DER));
    Signature signature = Signature.getInstance("RSASSA-PSS");
    signature.initVerify(key);
    signature.setParameter(params.getParameterSpec(PSSParameterSpec.class));
    signature.update(req.toASN1Structure().getCertificationRequestInfo().getEncoded(ASN1Encoding.DER));
    return signature.verify(req.getSignature());
  }

  /** The request's key as the JDK's key factories read it (they know no algorithm OIDs). */
  private static PublicKey jdkPublicKey(SubjectPublicKeyInfo spki, KeyType type)
      throws IOException, GeneralSecurityException {
    String algorithm =
        switch (type) {
          case RSA -> "RSA";
          case ECDSA -> "EC";
          case ED25519 -> "Ed25519";
          case OTHER ->
              throw new GeneralSecurityException(
                  "key algorithm " + spki.getAlgorithm().getAlgorithm().getId() + " is not supported");
        };
    return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(spki.getEncoded()));
  }

  private static PublicKeyInfo keyInfo(SubjectPublicKeyInfo spki) {
    AlgorithmIdentifier alg = spki.getAlgorithm();
    ASN1ObjectIdentifier oid = alg.getAlgorithm();
    if (PKCSObjectIdentifiers.rsaEncryption.equals(oid)) {
      try {
        RSAPublicKey rsa = RSAPublicKey.getInstance(spki.parsePublicKey());
        return new PublicKeyInfo(KeyType.RSA, rsa.getModulus().bitLength(), "");
      } catch (IOException | RuntimeException e) {
        throw new KcertException("malformed RSA public key: " + KcertException.oneLine(e), e);
      }
    }
    if (X9ObjectIdentifiers.id_ecPublicKey.equals(oid)) {
      ASN1Encodable params = alg.getParameters();
      if (params instanceof ASN1ObjectIdentifier curve) {
        if (SECObjectIdentifiers.secp256r1.equals(curve)) {
          return new PublicKeyInfo(KeyType.ECDSA, 256, "P-256");
        }
        if (SECObjectIdentifiers.secp384r1.equals(curve)) {
          return new PublicKeyInfo(KeyType.ECDSA, 384, "P-384");
        }
        if (SECObjectIdentifiers.secp521r1.equals(curve)) {
          return new PublicKeyInfo(KeyType.ECDSA, 521, "P-521");
        }
        return new PublicKeyInfo(KeyType.ECDSA, 0, "curve " + curve.getId());
      }
      return new PublicKeyInfo(KeyType.ECDSA, 0, "explicit curve parameters");
    }
    if (EdECObjectIdentifiers.id_Ed25519.equals(oid)) {
      return new PublicKeyInfo(KeyType.ED25519, 256, "");
    }
    return new PublicKeyInfo(KeyType.OTHER, 0, oid.getId());
  }

  private static String text(ASN1Encodable value) {
    if (value instanceof ASN1String s) {
      return s.getString();
    }
    throw new KcertException("expected a string value, found " + value.getClass().getSimpleName());
  }

  private static InetAddress ip(ASN1Encodable value) {
    byte[] octets = ASN1OctetString.getInstance(value).getOctets();
    if (octets.length != 4 && octets.length != 16) {
      throw new KcertException("IP address SAN of " + octets.length + " bytes");
    }
    try {
      return InetAddress.getByAddress(octets);
    } catch (UnknownHostException e) {
      throw new KcertException("invalid IP address SAN", e);
    }
  }

  private static String sanTypeName(int tag) {
    return switch (tag) {
      case GeneralName.otherName -> "otherName";
      case GeneralName.x400Address -> "x400Address";
      case GeneralName.directoryName -> "directoryName";
      case GeneralName.ediPartyName -> "ediPartyName";
      case GeneralName.registeredID -> "registeredID";
      default -> "tag " + tag;
    };
  }
}
