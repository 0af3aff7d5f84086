#!/usr/bin/env node
/**
 * `npm start`'s build step: builds the API (api/dist) and the web client (web/dist) only when
 * a source is newer than the last successful build, so a restart skips straight to the server.
 *
 * A build counts once it has succeeded: each target's stamp file is written afterwards with the
 * time the build *started*, so a failed build, or a source edited while building, rebuilds on the
 * next start. A fresh clone has no stamps and builds both. `--force` builds both regardless.
 *
 * Usage: node scripts/build-if-stale.mjs [--force]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');

/** What each build reads (files or folders, relative to the root) and what it writes. */
export const TARGETS = [
  {
    name: 'api',
    inputs: ['api/src', 'api/package.json', 'api/tsconfig.json', 'api/tsconfig.build.json', 'tsconfig.base.json', 'package-lock.json'],
    output: 'api/dist/main.js',
    stamp: 'api/dist/.build-stamp',
  },
  {
    name: 'web',
    inputs: ['web/src', 'api/src/decimal.ts', 'api/src/engine/types.ts', 'web/index.html', 'web/graphiql.html', 'web/public', 'web/build', 'web/vite.config.ts', 'web/package.json', 'web/tsconfig.json', 'tsconfig.base.json', 'package-lock.json'],
    output: 'web/dist/index.html',
    stamp: 'web/dist/.build-stamp',
  },
];

/** Newest modification time under a path (0 when it does not exist), skipping build outputs. */
function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** Why a target needs building, or null when its last successful build is newer than every input. */
export function staleReason(target, root = ROOT) {
  const stamp = join(root, target.stamp);
  if (!existsSync(join(root, target.output)) || !existsSync(stamp)) return 'no build yet';
  const built = statSync(stamp).mtimeMs;
  const newer = target.inputs.find((i) => newestMtime(join(root, i)) > built);
  return newer ? `${newer} changed since the last build` : null;
}

function main() {
  const force = process.argv.includes('--force');
  for (const target of TARGETS) {
    const reason = force ? 'forced' : staleReason(target);
    if (!reason) {
      console.log(`[start] ${target.name}: up to date, not rebuilt`);
      continue;
    }
    console.log(`[start] ${target.name}: building (${reason})`);
    const started = new Date();
    const r = spawnSync('npm', ['run', 'build', '-w', target.name], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
    const stamp = join(ROOT, target.stamp);
    writeFileSync(stamp, `${started.toISOString()}\n`);
    utimesSync(stamp, started, started);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
