/**
 * The generated client types (web/src/graphql/generated/) are what `npm run codegen` writes from
 * the committed schema (schema/schema.graphql) and the web's `.graphql` documents: the codegen
 * runs here with the same configuration (codegen.ts) into a temporary folder, and every file it
 * writes must equal the committed one, with no committed file left over. The API side of the
 * contract (schema.graphql equals the schema the server prints) is api/test/api/schema.test.ts.
 */
import { describe, expect, it, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import config from '../../codegen.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const COMMITTED = 'web/src/graphql/generated/';
const tmp = mkdtempSync(join(tmpdir(), 'trading-codegen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[relative(dir, join(e.parentPath, e.name))] = readFileSync(join(e.parentPath, e.name), 'utf8');
  }
  return out;
}

describe('web/src/graphql/generated', () => {
  it('is what `npm run codegen` writes from the committed schema and documents', async () => {
    const target = config.generates[COMMITTED];
    expect(target, `codegen.ts generates ${COMMITTED}`).toBeDefined();
    await generate({ ...config, cwd: ROOT, silent: true, generates: { [`${tmp}/`]: target! } }, true);
    const fresh = files(tmp);
    expect(Object.keys(fresh).length, 'codegen wrote files').toBeGreaterThan(0);
    const committed = files(join(ROOT, COMMITTED));
    expect(Object.keys(committed).sort(), 'the same files').toEqual(Object.keys(fresh).sort());
    for (const [name, content] of Object.entries(fresh)) {
      expect(committed[name], `${COMMITTED}${name} is stale: run \`npm run codegen\``).toBe(content);
    }
  }, 120_000);
});
