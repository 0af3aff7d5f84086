/**
 * What `npm run build` ships (api/dist): the server's own code and nothing else. Every file the
 * build compiles must be loaded by the server or one of its commands (src/main.ts, src/cli/*),
 * so test helpers and reference models cannot hide in src/ and ship in the image.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const api = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** The files reachable from `entries` through relative imports (static and dynamic) and worker entry URLs (`new URL('./x.js', import.meta.url)`). */
function reachable(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...entries];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import|new URL)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts');
      if (target.endsWith('.ts')) todo.push(target);
    }
  }
  return seen;
}

describe('the build', () => {
  it('compiles only code the server or its commands load: no tests, no test helpers', () => {
    const tsc = join(api, '../node_modules/typescript/bin/tsc');
    const compiled = execFileSync(process.execPath, [tsc, '-p', join(api, 'tsconfig.build.json'), '--listFilesOnly'], { encoding: 'utf8' })
      .split('\n')
      .filter((f) => f.startsWith(api + '/') && !f.includes('/node_modules/'));
    const cli = readdirSync(join(api, 'src/cli')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => join(api, 'src/cli', f));
    const loaded = reachable([join(api, 'src/main.ts'), ...cli]);
    expect(compiled.length).toBeGreaterThan(50);
    const stray = compiled.filter((f) => !loaded.has(f)).map((f) => relative(api, f));
    expect(stray).toEqual([]);
  });
});
