/**
 * A private build of the API for the proof suite (chaos, soak, audit CLI): compiled with the
 * project's tsconfig.build.json into test-output/proof-dist, so a run that restarts the server
 * many times always starts the same code, whatever other builds of api/dist happen meanwhile.
 * Rebuilt only when a source file or migration is newer than the last build; one build at a
 * time across processes (a lock directory), so parallel test files share it.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './api-process.js';

/** Where the private build goes (two levels below the repository root, like api/dist). */
export const PROOF_DIST = join(repoRoot, 'test-output/proof-dist');
const STAMP = join(PROOF_DIST, '.built-from');
const LOCK = `${PROOF_DIST}.lock`;

export interface ProofBuild {
  /** The compiled server: `node <main>`. */
  readonly main: string;
  /** The compiled audit CLI. */
  readonly auditCli: string;
  /** True when this call compiled (false: an up-to-date build was reused). */
  readonly built: boolean;
  /** Type errors reported by tsc (the JavaScript is emitted anyway), empty when clean. */
  readonly typeErrors: string;
}

/** Newest modification time (ms) of the sources a build depends on. */
function newestSource(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|sql|json|txt)$/.test(entry.name) && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  walk(join(repoRoot, 'api/src'));
  walk(join(repoRoot, 'db/migrations'));
  newest = Math.max(newest, statSync(join(repoRoot, 'api/tsconfig.build.json')).mtimeMs, statSync(join(repoRoot, 'tsconfig.base.json')).mtimeMs);
  return newest;
}

async function withLock<T>(run: () => Promise<T>, timeoutMs = 10 * 60_000): Promise<T> {
  mkdirSync(join(repoRoot, 'test-output'), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // Another process builds. A lock older than the timeout is a leftover of a killed run.
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > timeoutMs) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${LOCK}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await run();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * Compiles the API into {@link PROOF_DIST} unless it is up to date (or `reuse` is set and a
 * build exists). Prints one line to `log` when it compiles.
 */
export async function ensureProofBuild(options: { reuse?: boolean; log?: (line: string) => void } = {}): Promise<ProofBuild> {
  const main = join(PROOF_DIST, 'main.js');
  const auditCli = join(PROOF_DIST, 'cli/audit.js');
  return withLock(async () => {
    const sources = newestSource();
    const stamp = existsSync(STAMP) ? Number(readFileSync(STAMP, 'utf8')) : -1;
    if (existsSync(main) && existsSync(auditCli) && (options.reuse || stamp >= sources)) return { main, auditCli, built: false, typeErrors: '' };
    options.log?.(`Compiling the API into ${PROOF_DIST} …`);
    const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
    const buildInfo = join(repoRoot, 'test-output/proof-dist.tsbuildinfo');
    // Build info without its outputs would make tsc skip emitting them.
    if (!existsSync(main) || !existsSync(auditCli)) rmSync(buildInfo, { force: true });
    const args = [tsc, '-p', join(repoRoot, 'api/tsconfig.build.json'), '--outDir', PROOF_DIST, '--incremental', '--tsBuildInfoFile', buildInfo];
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.on('exit', (c) => resolve({ code: c, output }));
    });
    if (!existsSync(main) || !existsSync(auditCli)) throw new Error(`The API build failed (tsc exit ${code}):\n${output}`);
    // The one non-TypeScript file the API reads (api's build script copies it too).
    cpSync(join(repoRoot, 'api/src/modules/accounts/common-passwords.txt'), join(PROOF_DIST, 'modules/accounts/common-passwords.txt'));
    writeFileSync(STAMP, String(sources));
    return { main, auditCli, built: true, typeErrors: code === 0 ? '' : output };
  });
}
