import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DomainError, SERVICE_REASONS, engineError, engineReasonCodes, isEngineReason } from './errors.js';
import { toFixRejection } from './modules/fix/fix-rejections.js';

const apiDoc = readFileSync(new URL('../../docs/API.md', import.meta.url), 'utf8');
/** The rows of docs/API.md's reason table: reason → code. */
const documented = new Map(
  [...apiDoc.matchAll(/^\| `([A-Z_]+)` \| ([A-Z_]+) \|/gm)].map((m) => [m[1]!, m[2]!] as const),
);

describe('the reason vocabulary', () => {
  it('documents every reason with the code it is answered with', () => {
    for (const reason of engineReasonCodes()) {
      expect(documented.get(reason), reason).toBe(engineError(reason).code);
    }
    for (const reason of SERVICE_REASONS) expect(documented.has(reason), reason).toBe(true);
  });

  it('answers every engine refusal with a coded error, never an internal one', () => {
    for (const reason of engineReasonCodes()) {
      const e = engineError(reason);
      expect(e).toBeInstanceOf(DomainError);
      expect(e.code).not.toBe('INTERNAL_SERVER_ERROR');
      expect(e.reason).toBe(reason);
      expect(toFixRejection(e, true).text).toBe(e.message);
    }
  });

  it('tells engine refusals from other strings read off the wire', () => {
    expect(isEngineReason('QUANTITY_TOO_LARGE')).toBe(true);
    expect(isEngineReason('USER')).toBe(false);
    expect(isEngineReason('toString')).toBe(false);
  });
});
