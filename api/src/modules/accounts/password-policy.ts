import { readFileSync } from 'node:fs';
import { badInput } from '../../errors.js';

/** Shortest and longest password accepted, in Unicode code points after NFKC normalization. */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

let common: ReadonlySet<string> | undefined;

/** The refused common passwords (common-passwords.txt beside this module), loaded on first use. */
export function commonPasswords(): ReadonlySet<string> {
  common ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#')),
  );
  return common;
}

/**
 * Checks a new password after NIST SP 800-63B: 8 to 128 characters (code points, after NFKC,
 * any characters allowed, no composition rules), not one of the commonest passwords, not a
 * single repeated character, and not containing the username. Throws BAD_USER_INPUT with
 * reason INVALID_PASSWORD (length) or WEAK_PASSWORD, on field `password`.
 */
export function checkNewPassword(password: string, username: string): void {
  const normalized = password.normalize('NFKC');
  const length = [...normalized].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw badInput('INVALID_PASSWORD', `Password: ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.`, 'password');
  }
  const lower = normalized.toLowerCase();
  if (username.length > 0 && lower.includes(username.normalize('NFKC').toLowerCase())) {
    throw badInput('WEAK_PASSWORD', 'The password must not contain the username.', 'password');
  }
  if (commonPasswords().has(lower) || /^(.)\1*$/u.test(lower)) {
    throw badInput('WEAK_PASSWORD', 'This password is too common; choose a longer or less predictable one.', 'password');
  }
}
