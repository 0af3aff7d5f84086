/**
 * `npm start`'s build step (scripts/build-if-stale.mjs): a target is rebuilt when it has no
 * successful build yet or when any input is newer than that build's stamp, and only then.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TARGETS, staleReason, type BuildTarget as Target } from '../../scripts/build-if-stale.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'trading-build-if-stale-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const target: Target = { name: 'api', inputs: ['src', 'tsconfig.json'], output: 'dist/main.js', stamp: 'dist/.build-stamp' };
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
function put(path: string, time: Date): void {
  const file = join(tmp, path);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, path);
  utimesSync(file, time, time);
}

describe('build-if-stale', () => {
  it('builds when there is no output or no stamp of a successful build', () => {
    put('src/a/main.ts', at(1));
    put('tsconfig.json', at(1));
    expect(staleReason(target, tmp)).toBe('no build yet');
    put('dist/main.js', at(5));
    expect(staleReason(target, tmp), 'an output without a stamp is a failed or foreign build').toBe('no build yet');
  });

  it('skips when the stamp is newer than every input, rebuilds when a nested source changes', () => {
    put('dist/.build-stamp', at(5));
    utimesSync(join(tmp, 'src/a'), at(1), at(1));
    utimesSync(join(tmp, 'src'), at(1), at(1));
    expect(staleReason(target, tmp)).toBeNull();
    put('src/a/main.ts', at(6));
    expect(staleReason(target, tmp)).toBe('src changed since the last build');
  });

  it('rebuilds when a file input (not only a folder) changes', () => {
    put('dist/.build-stamp', at(10));
    expect(staleReason(target, tmp)).toBeNull();
    put('tsconfig.json', at(11));
    expect(staleReason(target, tmp)).toBe('tsconfig.json changed since the last build');
  });

  it('watches the API and web sources, tsconfigs and the lockfile', () => {
    const byName = Object.fromEntries(TARGETS.map((t) => [t.name, t]));
    expect(byName.api!.inputs).toEqual(expect.arrayContaining(['api/src', 'api/tsconfig.build.json', 'tsconfig.base.json', 'package-lock.json']));
    expect(byName.web!.inputs).toEqual(expect.arrayContaining(['web/src', 'web/index.html', 'web/vite.config.ts', 'package-lock.json']));
  });
});
