package dev.kcert.core.pem;

/**
 * One PEM block (RFC 7468): its label and the DER bytes it carries.
 *
 * @param type the label between {@code BEGIN} and the dashes, such as {@code CERTIFICATE}
 * @param der the decoded body
 */
public record PemBlock(String type, byte[] der) {}
