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
export { encrypt, encryptTo, decrypt } from "./cipher.js";
export { readHeader, looksLikeAgeFile } from "./header.js";
export { sshPublicKeyToAge, sshPrivateKeyToAge } from "./ssh-to-age.js";
export { x25519RecipientOf, generateX25519Identity } from "./x25519.js";
export type { DecryptOutcome } from "./decrypt-many.js";
export type { IdentityFileOptions } from "./identity-file.js";
export type { KeyPrompter, TerminalPrompterOptions } from "./prompter.js";
export type { BatchIdentity } from "./plugin/keys.js";
export { decryptMany } from "./decrypt-many.js";
export { loadIdentityFile, pluginIdentitiesOf } from "./identity-file.js";
export { terminalPrompter, silentPrompter } from "./prompter.js";
export { PluginIdentity, isBatchIdentity } from "./plugin/keys.js";
export { pluginOnPath, pluginBinary } from "./plugin/connection.js";
export { bcryptPbkdf } from "./bcrypt-pbkdf.js";
