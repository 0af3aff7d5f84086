/**
 * The live tests run the compiled app (`node api/dist/main.js`, nginx serving web/dist). This
 * builds it with the root `npm run build` when api/dist or web/dist is missing, at most once per
 * run: vitest's globalSetup calls it before any test file starts (so the web project's own
 * build-if-stale helper then finds fresh output instead of racing us), and a cross-process lock
 * directory covers callers that run outside that setup.
 *
 * An existing build is used as it is, even if the sources are newer (other engineers' work in
 * progress may not compile): set LIVE_REBUILD=1 to force a fresh build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../../lib/tools.js';

export const API_MAIN = join(REPO, 'api/dist/main.js');
export const WEB_DIST = join(REPO, 'web/dist');
const LOCK = join(REPO, 'node_modules/.cache/infra-live-build.lock');

const missing = () => !existsSync(API_MAIN) || !existsSync(join(WEB_DIST, 'index.html'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let built = false;

export async function ensureBuilt(log: (line: string) => void = (l) => console.log(l)): Promise<void> {
  const force = /^(1|true|yes)$/i.test(process.env.LIVE_REBUILD ?? '');
  if (built || (!force && !missing())) return;
  mkdirSync(join(REPO, 'node_modules/.cache'), { recursive: true });
  for (const deadline = Date.now() + 15 * 60_000; ; ) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // Someone else builds; a lock older than 10 minutes is a leftover of a killed run.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 10 * 60_000) rmdirSync(LOCK);
      if (Date.now() > deadline) throw new Error(`build lock ${LOCK} held for 15 minutes`);
      await sleep(500);
    }
  }
  try {
    if (force || missing()) {
      log('[infra live] building the app (npm run build) for the live tests…');
      const started = Date.now();
      const r = spawnSync('npm', ['run', 'build'], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 });
      if (r.status !== 0) throw new Error(`npm run build failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
      log(`[infra live] built in ${Math.round((Date.now() - started) / 1000)} s`);
    }
    built = true;
  } finally {
    rmdirSync(LOCK);
  }
}
