/**
 * The web image's nginx configuration laid out the way the image does it, for Debian's nginx
 * (`apt-get install nginx`; .ci/run installs it) to check and run in a temporary prefix.
 * Shared by nginx.test.ts (stand-in API) and live/nginx-api.test.ts (the real API).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INFRA } from './tools.js';

export const NGINX_HINT = 'apt-get install -y nginx';
const MIME_TYPES = '/etc/nginx/mime.types';

/** What the nginx image's 20-envsubst-on-templates.sh does: substitute only variables that are set. */
export function envsubst(template: string, env: Record<string, string>): string {
  return template.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, name: string) => env[name] ?? m);
}

/**
 * Lays out <prefix>/nginx.conf, mime.types, snippets/, conf.d/default.conf as in the image and
 * returns the main config's path. Throws if a ${VAR} of a template stays unsubstituted.
 */
export function assemble(prefix: string, env: Record<string, string>, rewrite: (s: string) => string = (s) => s): string {
  mkdirSync(join(prefix, 'conf.d'), { recursive: true });
  mkdirSync(join(prefix, 'snippets'), { recursive: true });
  writeFileSync(join(prefix, 'nginx.conf'), rewrite(readFileSync(join(INFRA, 'nginx/nginx.conf'), 'utf8')));
  copyFileSync(MIME_TYPES, join(prefix, 'mime.types'));
  for (const f of readdirSync(join(INFRA, 'nginx/snippets'))) copyFileSync(join(INFRA, 'nginx/snippets', f), join(prefix, 'snippets', f));
  for (const f of readdirSync(join(INFRA, 'nginx/templates'))) {
    const out = envsubst(readFileSync(join(INFRA, 'nginx/templates', f), 'utf8'), env);
    const left = out.match(/\$\{[A-Za-z_]+\}/);
    if (left) throw new Error(`${f}: ${left[0]} is not substituted`);
    writeFileSync(join(prefix, 'conf.d', f.replace(/\.template$/, '')), rewrite(out));
  }
  return join(prefix, 'nginx.conf');
}

/**
 * nginx opens /dev/stdout for the access log. Under Node the child's stdout is a socketpair,
 * which cannot be opened by path (ENXIO); in containers it is a pipe or pty and works. So the
 * test copy logs to a file instead.
 */
export const noStdoutLog = (prefix: string) => (s: string) => s.replace('access_log /dev/stdout json;', `access_log ${prefix}/access.log json;`);

/**
 * The rewrites that run the image's config unprivileged on a loopback port: listen on
 * 127.0.0.1:<port> only (the machine may have no IPv6), web root, pid and temp paths under the prefix.
 */
export const forLoopback = (prefix: string, port: number, root: string) => (s: string) =>
  noStdoutLog(prefix)(s)
    .replace(/^\s*listen \[::\]:8080;\n/m, '')
    .replace(/listen 8080;/, `listen 127.0.0.1:${port};`)
    .replace('root /usr/share/nginx/html;', `root ${root};`)
    .replace('pid /tmp/nginx.pid;', `pid ${prefix}/nginx.pid;`)
    .replace(/\/tmp\/nginx-/g, `${prefix}/tmp-`);

/** A temp directory nginx's workers can read (they may run as an unprivileged user). */
export function nginxTempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'trading-nginx-'));
  chmodSync(d, 0o755);
  return d;
}

export interface RunningNginx {
  readonly base: string;
  readonly proc: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** Runs nginx in the foreground on `conf` and waits for /nginx-healthz on `port`. */
export async function runNginx(nginx: string, prefix: string, conf: string, port: number): Promise<RunningNginx> {
  const proc = spawn(nginx, ['-p', prefix, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d) => { stderr += String(d); });
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    // SIGTERM: fast shutdown (SIGQUIT would wait for proxied WebSockets, up to an hour).
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(`${base}/nginx-healthz`);
      return { base, proc, stderr: () => stderr, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
    if (proc.exitCode !== null) break;
  }
  await stop();
  throw new Error(`nginx did not start: ${stderr}`);
}
