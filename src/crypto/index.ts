/**
 * rekey's crypto: age behind one small interface (STYLE.md: "a narrow crypto interface with a
 * written contract"). Bytes and strings in, bytes and strings out; no file I/O.
 *
 * Identities return null for stanzas that are not theirs and throw for a stanza that is
 * theirs but broken. Every user-fixable failure is a RekeyError with a stable code.
 */
export type { AgeHeader } from "./header.js";
export type { RecipientKind, RekeyRecipient, ParseRecipientOptions } from "./recipients.js";
export type { EncryptOptions } from "./cipher.js";
export { parseRecipient } from "./recipients.js";
export { parseIdentities, identityRecipients } from "./identities.js";
export { encrypt, decrypt } from "./cipher.js";
export { readHeader, looksLikeAgeFile } from "./header.js";
export { sshPublicKeyToAge, sshPrivateKeyToAge } from "./ssh-to-age.js";
export { x25519RecipientOf, generateX25519Identity } from "./x25519.js";
