import { Encrypter } from 'age-encryption';

/**
 * Checking a recipient needs the age library at once (the setting is checked
 * synchronously), so it lives apart from age-file.ts, which loads it lazily.
 */

/** An X25519 recipient as `age-keygen` prints it: `age1` and 58 bech32 characters. */
const X25519_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;

/** Why `text` is not an X25519 age recipient, or null. */
export function recipientProblem(text: string): string | null {
  if (!X25519_RECIPIENT.test(text)) return 'is not an age X25519 recipient (age1 and 58 lower-case bech32 characters)';
  try {
    new Encrypter().addRecipient(text);
  } catch {
    return 'is not an age X25519 recipient (its checksum is wrong)';
  }
  return null;
}
