/**
 * The compiled API as a child process for the proof runs (chaos, soak): started on a given port
 * and database, killed with SIGKILL or stopped with SIGTERM, its output appended to a log file,
 * its resident memory read from /proc. Loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { freePort, loopbackApiEnv, repoRoot } from './api-process.js';

export interface ProofApiOptions {
  /** The compiled entry point (see proof-build.ts). */
  readonly main: string;
  readonly databaseUrl: string;
  readonly port: number;
  /** Extra environment (FIX_PORT, FIX_ENABLED, limits…). */
  readonly env?: Record<string, string>;
  /** Where stdout and stderr go (appended). */
  readonly logFile: string;
  /** How long to wait for /readyz (default 120 s: start-up on a loaded machine). */
  readonly readyTimeoutMs?: number;
}

export interface ProofApi {
  readonly url: string;
  /** The production metrics listener's scrape URL (METRICS_PORT: never the app's port). */
  readonly metricsUrl: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** VmRSS in bytes (Linux), or undefined once the process is gone. */
  rss(): number | undefined;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown), then waits up to `graceMs`; SIGKILL after that. Resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Starts the compiled API and waits until /readyz answers 200. */
export async function startProofApi(o: ProofApiOptions): Promise<ProofApi> {
  mkdirSync(dirname(o.logFile), { recursive: true });
  const log = openSync(o.logFile, 'a');
  // Profiling hook, as in api-process.ts: API_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
  const nodeArgs = process.env.API_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const metricsPort = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, o.main], {
    cwd: repoRoot,
    env: { ...loopbackApiEnv(o.port, metricsPort), DATABASE_URL: o.databaseUrl, FIX_ENABLED: 'false', ...o.env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  void exited.then(() => (gone = true));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));

  const url = `http://127.0.0.1:${o.port}`;
  const deadline = Date.now() + (o.readyTimeoutMs ?? 120_000);
  for (;;) {
    if (gone) throw new Error(`the API exited during start-up (see ${o.logFile})`);
    try {
      if ((await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) })).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the API was not ready within ${o.readyTimeoutMs ?? 120_000} ms (see ${o.logFile})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = child.pid!;
  return {
    url,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    pid,
    child,
    exited,
    rss: () => {
      if (gone) return undefined;
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        return m ? Number(m[1]) * 1024 : undefined;
      } catch {
        return undefined;
      }
    },
    kill: async () => {
      if (!gone) child.kill('SIGKILL');
      await exited;
    },
    stop: async (graceMs = 30_000) => {
      if (gone) return (await exited).code;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const { code } = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
