/**
 * External tools the infra checks call (promtool, nginx, kustomize, java for npm-groovy-lint).
 *
 * Policy: under CI=true a missing tool FAILS the test with the install hint; on a developer's
 * machine the test is skipped with the same message. `.ci/run` installs the Debian packages.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import type { TestContext } from 'vitest';
import { IN_CI } from '../../../api/test/support/ci.js';

export { IN_CI };

/** Repository root and infra/ directory. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const INFRA = resolve(REPO, 'infra');

export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { encoding: 'utf8' });
  const out = r.stdout.trim();
  return r.status === 0 && out ? out : undefined;
}

/**
 * Path of `tool`, or: throws under CI, skips the test otherwise.
 * `hint` says how to get it, e.g. "apt-get install -y prometheus".
 */
export function requireTool(ctx: TestContext, tool: string, hint: string): string {
  const found = which(tool);
  if (found) return found;
  const msg = `${tool} is not installed (${hint})`;
  if (IN_CI) throw new Error(`${msg}: it is required when CI=true`);
  console.warn(`[infra] skipping: ${msg}`);
  ctx.skip(msg);
  throw new Error('unreachable');
}

export function run(cmd: string, args: string[], opts: { cwd?: string; input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    cwd: opts.cwd ?? REPO,
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    env: opts.env ?? process.env,
    maxBuffer: 32 * 1024 * 1024,
  });
}

/** Throws with the command's output when it did not exit 0. */
export function runOk(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): string {
  const r = run(cmd, args, opts);
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}
