package dev.kcert.core.csr;

import dev.kcert.core.pem.Pem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Test fixture: builds PKCS#10 requests shaped like a kubelet's serving-certificate request, and
 * every way of getting one wrong. Keys are generated once per kind and reused.
 */
public final class KubeletCsrs {
  private static final Provider BC = new BouncyCastleProvider();
  private static final Map<String, KeyPair> KEYS = new ConcurrentHashMap<>();

  private final List<String> cns = new ArrayList<>();
  private final List<String> orgs = new ArrayList<>(List.of("system:nodes"));
  private final List<String> ous = new ArrayList<>();
  private final List<GeneralName> sans = new ArrayList<>();
  private String keyKind = "EC-256";
  private boolean ca;
  private boolean keyCertSign;
  private boolean corruptSignature;

  private KubeletCsrs(String node) {
    cns.add("system:node:" + node);
  }

  /** A request for {@code system:node:<node>}, O=system:nodes, ECDSA P-256, no SAN yet. */
  public static KubeletCsrs forNode(String node) {
    return new KubeletCsrs(node);
  }

  /** RSA-1024, RSA-2048, RSA-3072, RSA-2048-PSS (signed with RSASSA-PSS), EC-256, EC-384, EC-521, Ed25519. */
  public KubeletCsrs key(String kind) {
    this.keyKind = kind;
    return this;
  }

  public KubeletCsrs commonNames(String... values) {
    cns.clear();
    cns.addAll(List.of(values));
    return this;
  }

  public KubeletCsrs organizations(String... values) {
    orgs.clear();
    orgs.addAll(List.of(values));
    return this;
  }

  public KubeletCsrs organizationalUnit(String value) {
    ous.add(value);
    return this;
  }

  public KubeletCsrs dns(String... names) {
    for (String n : names) {
      sans.add(new GeneralName(GeneralName.dNSName, n));
    }
    return this;
  }

  public KubeletCsrs ip(String... addresses) {
    for (String a : addresses) {
      try {
        sans.add(new GeneralName(GeneralName.iPAddress, new org.bouncycastle.asn1.DEROctetString(
            InetAddress.getByName(a).getAddress())));
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException(a, e);
      }
    }
    return this;
  }

  public KubeletCsrs email(String address) {
    sans.add(new GeneralName(GeneralName.rfc822Name, address));
    return this;
  }

  public KubeletCsrs uri(String uri) {
    sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri));
    return this;
  }

  public KubeletCsrs registeredId(String oid) {
    sans.add(new GeneralName(GeneralName.registeredID, new ASN1ObjectIdentifier(oid)));
    return this;
  }

  /** Adds basicConstraints cA=true. */
  public KubeletCsrs ca() {
    this.ca = true;
    return this;
  }

  /** Adds a keyUsage extension with keyCertSign. */
  public KubeletCsrs keyCertSign() {
    this.keyCertSign = true;
    return this;
  }

  /** Flips a bit of the signature, so it no longer verifies. */
  public KubeletCsrs corruptSignature() {
    this.corruptSignature = true;
    return this;
  }

  public byte[] der() {
    try {
      KeyPair kp = keyPair(keyKind);
      X500NameBuilder name = new X500NameBuilder(BCStyle.INSTANCE);
      for (String o : orgs) {
        name.addRDN(BCStyle.O, new DERUTF8String(o));
      }
      for (String ou : ous) {
        name.addRDN(BCStyle.OU, new DERUTF8String(ou));
      }
      for (String cn : cns) {
        name.addRDN(BCStyle.CN, new DERUTF8String(cn));
      }
      JcaPKCS10CertificationRequestBuilder b =
          new JcaPKCS10CertificationRequestBuilder(name.build(), kp.getPublic());
      ExtensionsGenerator ext = new ExtensionsGenerator();
      if (!sans.isEmpty()) {
        ext.addExtension(
            Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
      }
      if (ca) {
        ext.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      }
      if (keyCertSign) {
        ext.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign));
      }
      if (!ext.isEmpty()) {
        b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
      }
      PKCS10CertificationRequest req =
          b.build(new JcaContentSignerBuilder(signatureAlgorithm(keyKind)).setProvider(BC).build(kp.getPrivate()));
      byte[] der = req.getEncoded();
      if (corruptSignature) {
        der[der.length - 1] ^= 0x01;
      }
      return der;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  public byte[] pem() {
    return Pem.encode("CERTIFICATE REQUEST", der()).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  private static String signatureAlgorithm(String kind) {
    return switch (kind) {
      case "EC-384" -> "SHA384withECDSA";
      case "EC-521" -> "SHA512withECDSA";
      case "EC-256", "EC-secp256k1" -> "SHA256withECDSA";
      case "Ed25519" -> "Ed25519";
      case "RSA-2048-PSS" -> "SHA256withRSAandMGF1";
      default -> "SHA256withRSA";
    };
  }

  /** One key pair per kind, generated on first use. */
  public static KeyPair keyPair(String kind) {
    return KEYS.computeIfAbsent(kind, KubeletCsrs::generate);
  }

  private static KeyPair generate(String kind) {
    try {
      if (kind.startsWith("RSA-")) {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(Integer.parseInt(kind.substring(4).replace("-PSS", "")));
        return g.generateKeyPair();
      }
      if (kind.startsWith("EC-")) {
        String curve = switch (kind) {
          case "EC-256" -> "secp256r1";
          case "EC-384" -> "secp384r1";
          case "EC-521" -> "secp521r1";
          default -> kind.substring(3);
        };
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", BC);
        g.initialize(new ECGenParameterSpec(curve));
        return g.generateKeyPair();
      }
      if (kind.equals("Ed25519")) {
        return KeyPairGenerator.getInstance("Ed25519", BC).generateKeyPair();
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    throw new IllegalArgumentException("unknown key kind " + kind);
  }
}
