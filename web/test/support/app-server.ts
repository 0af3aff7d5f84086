/**
 * The real server for browser tests: builds api/dist and web/dist when missing or older than
 * their sources, starts `node api/dist/main.js` on a free loopback port with a fresh SQLite
 * file and the small catalog, waits for /readyz, and stops it afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
export const SMALL_CATALOG = join(ROOT, 'api/test/fixtures/products-small.csv');
export const ADMIN = { username: 'admin', password: 'root-passphrase-for-browser-tests' };

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist' || entry === 'generated-test') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

function stale(output: string, inputs: string[]): boolean {
  if (!existsSync(output)) return true;
  const built = statSync(output).mtimeMs;
  return inputs.some((i) => newestMtime(join(ROOT, i)) > built);
}

function run(args: string[]): void {
  const r = spawnSync('npm', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

/** The build lock the infra live tests also take, so two test projects never build at once. */
const LOCK = join(ROOT, 'node_modules/.cache/infra-live-build.lock');

async function withBuildLock(fn: () => void): Promise<void> {
  mkdirSync(dirname(LOCK), { recursive: true });
  for (const deadline = Date.now() + 15 * 60_000; ; ) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 10 * 60_000) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`build lock ${LOCK} held for 15 minutes`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

const API_MAIN = join(ROOT, 'api/dist/main.js');
const WEB_INDEX = join(ROOT, 'web/dist/index.html');
const API_INPUTS = ['api/src', 'api/tsconfig.json', 'api/tsconfig.build.json'];
const WEB_INPUTS = ['web/src', 'web/index.html', 'web/graphiql.html', 'web/vite.config.ts', 'web/build', 'schema/schema.graphql'];

/**
 * Builds what is missing or older than its sources (the root `npm run build` is these two
 * steps), under the build lock shared with the infra live tests.
 *
 * Both builds must succeed: a stale api/dist whose sources do not compile fails the run
 * rather than testing yesterday's server. WEB_E2E_NO_REBUILD=1 keeps stale builds as they
 * are (on purpose, by whoever sets it).
 */
export async function buildIfStale(): Promise<void> {
  const noRebuild = process.env.WEB_E2E_NO_REBUILD === '1';
  const apiNeeded = () => !existsSync(API_MAIN) || (!noRebuild && stale(API_MAIN, API_INPUTS));
  const webNeeded = () => !existsSync(WEB_INDEX) || (!noRebuild && stale(WEB_INDEX, WEB_INPUTS));
  if (!apiNeeded() && !webNeeded()) return;
  await withBuildLock(() => {
    if (apiNeeded()) run(['run', 'build', '-w', 'api']);
    if (webNeeded()) run(['run', 'build', '-w', 'web']);
  });
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

export interface RunningServer {
  readonly url: string;
  /** The server's database, to start another server on it (a restart). */
  readonly databaseUrl: string;
  readonly output: () => string;
  /** Stops the server (SIGTERM, or `crash`: SIGKILL) and deletes its database unless `keepDatabase`. */
  stop(options?: { keepDatabase?: boolean; crash?: boolean }): Promise<void>;
}

/**
 * @param env overrides, e.g. PORT and DATABASE_URL to restart on the same port and database.
 * @param readyWithinMs how long seeding and start-up may take.
 */
export async function startServer(env: Record<string, string> = {}, readyWithinMs = 90_000): Promise<RunningServer> {
  const databaseUrl = env.DATABASE_URL ?? `sqlite:${join(mkdtempSync(join(tmpdir(), 'trading-web-e2e-')), 'e2e.sqlite')}`;
  const dir = dirname(databaseUrl.slice('sqlite:'.length));
  const port = env.PORT ? Number(env.PORT) : await freePort();
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'api/dist/main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      CATALOG_PATH: SMALL_CATALOG,
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      LOG_LEVEL: 'silent',
      FIX_PORT: '0',
      WEB_DIST: join(ROOT, 'web/dist'),
      // The browser tests sign up all their accounts from 127.0.0.1.
      SIGNUP_MAX_PER_ADDRESS: '10000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyWithinMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${output}`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready after ${readyWithinMs / 1000} s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url,
    databaseUrl,
    output: () => output,
    async stop({ keepDatabase = false, crash = false } = {}) {
      if (child.exitCode === null) {
        child.kill(crash ? 'SIGKILL' : 'SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (!keepDatabase && dir.startsWith(join(tmpdir(), 'trading-web-e2e-'))) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A GraphQL request over HTTP (for setup and for checking what the server refuses). */
export async function gql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
  const r = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await r.json()) as { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}
