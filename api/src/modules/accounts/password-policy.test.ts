import { describe, expect, it } from 'vitest';
import { checkNewPassword, commonPasswords } from './password-policy.js';

const refusal = (password: string, username = 'someone1') => {
  try {
    checkNewPassword(password, username);
    return undefined;
  } catch (e) {
    return (e as { reason?: string }).reason;
  }
};

describe('checkNewPassword', () => {
  it('ships a list of common passwords of 8+ characters, lower case', () => {
    const list = commonPasswords();
    expect(list.size).toBeGreaterThan(5000);
    for (const p of ['password', '12345678', 'iloveyou', 'qwertyuiop', 'password1', 'football']) expect(list.has(p)).toBe(true);
    expect([...list].every((p) => p.length >= 8 && p === p.toLowerCase())).toBe(true);
  });

  it.each([
    ['7 characters', 'abc-xyz', 'INVALID_PASSWORD'],
    ['129 characters', 'x'.repeat(64) + 'y'.repeat(65), 'INVALID_PASSWORD'],
    ['8 characters counted as code points (4 emoji are 8 UTF-16 units)', '🔑🔒🗝🔐', 'INVALID_PASSWORD'],
    ['a common password', 'iloveyou', 'WEAK_PASSWORD'],
    ['a common password, other case', 'PassWord123', 'WEAK_PASSWORD'],
    ['a common password in full-width letters (NFKC)', 'ｐａｓｓｗｏｒｄ', 'WEAK_PASSWORD'],
    ['one repeated character', '~~~~~~~~~~', 'WEAK_PASSWORD'],
    ['the username', 'someone1', 'WEAK_PASSWORD'],
    ['the username in another case, inside', 'xx-SomeOne1-2026', 'WEAK_PASSWORD'],
  ])('refuses %s', (_name, password, reason) => {
    expect(refusal(password)).toBe(reason);
  });

  it.each([
    ['a passphrase', 'correct horse battery staple'],
    ['8 ordinary characters', 'tq7-Wm2x'],
    ['spaces and any Unicode', 'naïve café ☕ 2026'],
    ['128 characters', 'ab'.repeat(64)],
  ])('accepts %s', (_name, password) => {
    expect(refusal(password)).toBeUndefined();
  });

  it('names the password field', () => {
    expect(() => checkNewPassword('password1', 'someone')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'password' }));
  });
});
