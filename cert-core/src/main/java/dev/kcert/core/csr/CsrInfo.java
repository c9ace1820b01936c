package dev.kcert.core.csr;

import java.net.InetAddress;
import java.util.List;

/**
 * What a PKCS#10 certificate signing request asks for, as read by {@link CsrParser}.
 *
 * @param subject the subject in RFC 4514 form, for messages
 * @param commonNames every CN attribute of the subject, in order
 * @param organizations every O attribute of the subject, in order
 * @param otherSubjectAttributes the names of subject attributes other than CN and O (such as OU)
 * @param dnsNames the DNS names of the subjectAltName extension
 * @param ipAddresses the IP addresses of the subjectAltName extension
 * @param emailAddresses the rfc822 names of the subjectAltName extension
 * @param uris the URIs of the subjectAltName extension
 * @param otherSanTypes the other kinds of subjectAltName entries (otherName, directoryName, ...)
 * @param caRequested whether the request asks for CA rights (basicConstraints cA, keyCertSign or
 *     cRLSign key usage)
 * @param key the public key
 * @param signatureValid whether the request's self-signature verifies with its own public key
 * @param signatureProblem why the signature does not verify, empty when it does
 */
public record CsrInfo(
    String subject,
    List<String> commonNames,
    List<String> organizations,
    List<String> otherSubjectAttributes,
    List<String> dnsNames,
    List<InetAddress> ipAddresses,
    List<String> emailAddresses,
    List<String> uris,
    List<String> otherSanTypes,
    boolean caRequested,
    PublicKeyInfo key,
    boolean signatureValid,
    String signatureProblem) {

  public CsrInfo {
    commonNames = List.copyOf(commonNames);
    organizations = List.copyOf(organizations);
    otherSubjectAttributes = List.copyOf(otherSubjectAttributes);
    dnsNames = List.copyOf(dnsNames);
    ipAddresses = List.copyOf(ipAddresses);
    emailAddresses = List.copyOf(emailAddresses);
    uris = List.copyOf(uris);
    otherSanTypes = List.copyOf(otherSanTypes);
  }

  /**
   * The kind and size of a public key, read from its SubjectPublicKeyInfo.
   *
   * @param type the kind of key
   * @param bits the RSA modulus length, or the curve size; 0 when unknown
   * @param curve the named curve of an EC key ({@code P-256}, {@code P-384}, or the OID of
   *     another), empty for other keys
   */
  public record PublicKeyInfo(KeyType type, int bits, String curve) {

    /** A short description for messages: {@code RSA 2048}, {@code ECDSA P-256}, {@code Ed25519}. */
    public String describe() {
      return switch (type) {
        case RSA -> "RSA " + bits;
        case ECDSA -> "ECDSA " + curve;
        case ED25519 -> "Ed25519";
        case OTHER -> "key of algorithm " + curve;
      };
    }
  }

  /** The kinds of public key the approval policy tells apart. */
  public enum KeyType {
    RSA,
    ECDSA,
    ED25519,
    /** Anything else; {@link PublicKeyInfo#curve()} then holds the algorithm OID. */
    OTHER
  }
}
