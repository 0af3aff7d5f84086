/**
 * LOBW1 engine benchmark (see /work/shared/bench/LOBW1.md): our OrderBook against
 * nodejs-order-book on the same deterministic streams, each engine in its own child process.
 *
 *   npm run bench:engine -- [--ops N] [--runs N] [--json] [--profile uniform|deep]
 *                           [--warmup-ops N] [--peer-deep-ops N] [--peer-deep-runs N]
 *                           [--peer-deep-latency-ops N]
 *
 * Per engine and profile, a child process (node --expose-gc): generates the stream against the
 * LOBW1 reference model (untimed); runs an untimed warm-up pass (default: the whole stream; for
 * the peer on deep, its first 100,000 ops); runs the whole stream `runs` times on
 * fresh books (ops/s = median; the first of these runs is bracketed by gc() to measure heap growth
 * per resting order); then a latency pass with a timer around each op; and checks every pass
 * against the reference model (traded qty, successful cancels, final depth). A failed check
 * voids the figure. The parent verifies the generator (PRNG outputs, 1M-op uniform sha256),
 * compares like with like (the ratio uses both engines on the same number of ops) and prints
 * PASS/FAIL per target. With --json the last line of output is one JSON object.
 *
 * The peer on the deep profile costs ~130 µs per op on the full stream (its cancels and fills
 * scan its queues), so by default it runs the deep stream once (1 run) and its latency pass uses
 * the first 100,000 ops. --peer-deep-ops N caps it to a prefix of N ops; our engine is then also
 * measured on that prefix for the ratio (a shallower book flatters the peer).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { engineAdapter, peerAdapter, type EngineKind } from './lobw1/adapters.js';
import { fingerprintViews, generateLobw1, LOBW1_UNIFORM_1M_SHA256, type Lobw1Profile } from './lobw1/generate.js';
import { checkResults, fullGc, heapBytes, latencyByType, latencyPass, throughputPass, timerOverheadNs, type CheckResult, type LatencySummary } from './lobw1/measure.js';
import { LOBW1_SEED, mulberry32 } from './lobw1/prng.js';

const TARGETS = {
  uniform: { opsPerSec: 2_000_000, ratio: 3.5 },
  deep: { opsPerSec: 1_000_000, ratio: 100 },
  cancelP99Ns: 5_000,
  bytesPerRestingOrder: 250,
} as const;

const PRNG_FIRST = [2581720956, 1925393290, 3661312704];

interface Args {
  ops: number;
  runs: number;
  json: boolean;
  profiles: Lobw1Profile[];
  warmupOps: number | undefined;
  peerDeepOps: number | undefined;
  peerDeepRuns: number;
  peerDeepLatencyOps: number;
  latencyOps: number | undefined;
  child: EngineKind | undefined;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    ops: 1_000_000,
    runs: 3,
    json: false,
    profiles: ['uniform', 'deep'],
    warmupOps: undefined,
    peerDeepOps: undefined,
    peerDeepRuns: 1,
    peerDeepLatencyOps: 100_000,
    latencyOps: undefined,
    child: undefined,
  };
  const int = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v?.replace(/_/g, ''));
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`${flag} needs an integer >= ${min}, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const next = (): string | undefined => argv[++i];
    switch (flag) {
      case '--ops': args.ops = int(flag, next(), 1); break;
      case '--runs': args.runs = int(flag, next(), 1); break;
      case '--json': args.json = true; break;
      case '--warmup-ops': args.warmupOps = int(flag, next(), 0); break;
      case '--peer-deep-ops': args.peerDeepOps = int(flag, next(), 1); break;
      case '--peer-deep-runs': args.peerDeepRuns = int(flag, next(), 1); break;
      case '--peer-deep-latency-ops': args.peerDeepLatencyOps = int(flag, next(), 1); break;
      case '--latency-ops': args.latencyOps = int(flag, next(), 1); break;
      case '--profile': {
        const p = next();
        if (p !== 'uniform' && p !== 'deep') throw new Error(`--profile must be uniform or deep, got ${p}`);
        args.profiles = [p];
        break;
      }
      case '--child': {
        const k = next();
        if (k !== 'engine' && k !== 'peer') throw new Error(`--child must be engine or peer, got ${k}`);
        args.child = k;
        break;
      }
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  return args;
}

// ---- child: measure one engine on one profile ------------------------------------------------

interface ChildReport {
  readonly kind: EngineKind;
  readonly profile: Lobw1Profile;
  readonly ops: number;
  readonly warmupOps: number;
  readonly runOpsPerSec: number[];
  readonly opsPerSec: number;
  /** ops / process CPU seconds (median): less sensitive to other processes competing for cores. */
  readonly cpuOpsPerSec: number;
  readonly latencyOps: number;
  readonly latency: Record<'all' | 'limit' | 'cancel' | 'market', LatencySummary>;
  readonly timerOverheadNs: number;
  readonly restingCount: number;
  readonly heapDeltaBytes: number | null;
  /** (V8 heap + ArrayBuffer) growth over the first run / resting orders; null without --expose-gc or with < 1000 resting. */
  readonly bytesPerRestingOrder: number | null;
  readonly maxRssBytes: number;
  readonly checks: CheckResult;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function runChild(args: Args): void {
  const profile = args.profiles[0]!;
  const kind = args.child!;
  const stream = generateLobw1(args.ops, profile);
  const a = kind === 'engine' ? engineAdapter(stream) : peerAdapter(stream);
  const problems: string[] = [];
  const check = (label: string, expected = stream.expected): void => {
    const c = checkResults(a, expected);
    for (const p of c.problems) problems.push(`${label}: ${p}`);
  };

  const warmupOps = Math.min(args.warmupOps ?? args.ops, args.ops);
  if (warmupOps > 0) throughputPass(a, warmupOps);

  a.reset();
  const gcOk = fullGc();
  const h0 = heapBytes();
  const seconds = [throughputPass(a, args.ops)];
  fullGc();
  const h1 = heapBytes();
  const restingCount = a.restingCount();
  check('run 1');
  for (let r = 1; r < args.runs; r++) {
    seconds.push(throughputPass(a, args.ops));
    check(`run ${r + 1}`);
  }

  const latencyOps = Math.min(args.latencyOps ?? args.ops, args.ops);
  fullGc();
  const ns = latencyPass(a, latencyOps);
  check('latency pass', latencyOps === args.ops ? stream.expected : generateLobw1(latencyOps, profile).expected);
  const runOpsPerSec = seconds.map((s) => args.ops / s.wallSeconds);
  const report: ChildReport = {
    kind,
    profile,
    ops: args.ops,
    warmupOps,
    runOpsPerSec,
    opsPerSec: median(runOpsPerSec),
    cpuOpsPerSec: median(seconds.map((s) => args.ops / s.cpuSeconds)),
    latencyOps,
    latency: latencyByType(ns, stream),
    timerOverheadNs: timerOverheadNs(),
    restingCount,
    heapDeltaBytes: gcOk ? h1 - h0 : null,
    // meaningless when few orders rest (uniform ends with a handful): report n/a
    bytesPerRestingOrder: gcOk && restingCount >= 1000 ? (h1 - h0) / restingCount : null,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    checks: { ok: problems.length === 0, problems },
  };
  // keep the stream reachable until after the heap measurement (it was allocated before h0)
  if (stream.length !== args.ops) throw new Error('stream length changed');
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

// ---- parent ------------------------------------------------------------------------------------

function spawnChild(kind: EngineKind, profile: Lobw1Profile, ops: number, runs: number, latencyOps: number, warmupOps: number): Promise<ChildReport> {
  const script = fileURLToPath(import.meta.url);
  const childArgs = ['--child', kind, '--profile', profile, '--ops', String(ops), '--runs', String(runs), '--latency-ops', String(latencyOps), '--warmup-ops', String(warmupOps)];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...process.execArgv, '--expose-gc', script, ...childArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${kind} ${profile} child exited with ${code}`));
      try {
        resolve(JSON.parse(last) as ChildReport);
      } catch {
        reject(new Error(`${kind} ${profile} child printed no report: ${out.slice(-500)}`));
      }
    });
  });
}

function verifyGenerator(): string | undefined {
  const rng = mulberry32(LOBW1_SEED);
  const first = [rng(), rng(), rng()].map((x) => x * 4294967296);
  if (first.some((x, i) => x !== PRNG_FIRST[i])) return `mulberry32(42) first outputs ${first.join(', ')} != ${PRNG_FIRST.join(', ')}`;
  const h = createHash('sha256');
  for (const v of fingerprintViews(generateLobw1(1_000_000, 'uniform'))) h.update(v);
  const got = h.digest('hex');
  if (got !== LOBW1_UNIFORM_1M_SHA256) return `uniform 1M stream sha256 ${got} != ${LOBW1_UNIFORM_1M_SHA256}`;
  return undefined;
}

const fmt = (n: number | null | undefined, digits = 0): string =>
  n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mb = (b: number): string => `${fmt(b / 1048576, 1)} MiB`;
const lat = (l: LatencySummary): string => `${fmt(l.p50Ns)} / ${fmt(l.p99Ns)} / ${fmt(l.p999Ns)}`;
const pf = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');

interface ProfileResult {
  readonly engine: ChildReport;
  readonly peer: ChildReport;
  readonly engineAtPeerOps: ChildReport;
  readonly ratio: number;
  readonly pass: Record<string, boolean>;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.child) return runChild(args);

  const log = (s = ''): void => void process.stdout.write(`${s}\n`);
  const progress = (s: string): void => void process.stderr.write(`${s}\n`);
  const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
  const loadStart = loadavg()[0]!;
  log(`LOBW1 engine benchmark — seed ${LOBW1_SEED}, ${fmt(args.ops)} ops, median of ${args.runs} runs; node ${process.version}, ${cpus().length} CPUs, load average ${load()}`);
  const genError = verifyGenerator();
  if (genError) {
    log(`ERROR: LOBW1 generator check failed: ${genError}`);
    log('The stream is not LOBW1; no figure is valid.');
    process.exitCode = 2;
    return;
  }
  log(`generator: mulberry32 first outputs OK; uniform 1M-op fingerprint ${LOBW1_UNIFORM_1M_SHA256.slice(0, 16)}… OK`);

  const results: Partial<Record<Lobw1Profile, ProfileResult>> = {};
  for (const profile of args.profiles) {
    progress(`[${profile}] engine: ${fmt(args.ops)} ops × ${args.runs} runs …`);
    const engine = await spawnChild('engine', profile, args.ops, args.runs, args.latencyOps ?? args.ops, args.warmupOps ?? args.ops);
    const deep = profile === 'deep';
    const peerOps = deep ? Math.min(args.ops, args.peerDeepOps ?? args.ops) : args.ops;
    const peerRuns = deep ? args.peerDeepRuns : args.runs;
    const peerLatencyOps = deep ? Math.min(peerOps, args.peerDeepLatencyOps) : (args.latencyOps ?? peerOps);
    progress(`[${profile}] peer: ${fmt(peerOps)} ops × ${peerRuns} run(s)${deep ? ' (slow on deep: about 2 minutes at 1M ops)' : ''} …`);
    const peerWarmup = Math.min(args.warmupOps ?? peerOps, deep ? args.peerDeepLatencyOps : peerOps, peerOps);
    const peer = await spawnChild('peer', profile, peerOps, peerRuns, peerLatencyOps, peerWarmup);
    let engineAtPeerOps = engine;
    if (peerOps < args.ops) {
      progress(`[${profile}] engine on the peer's ${fmt(peerOps)}-op prefix (like-for-like ratio) …`);
      engineAtPeerOps = await spawnChild('engine', profile, peerOps, args.runs, peerOps, args.warmupOps ?? peerOps);
    }
    const valid = engine.checks.ok && peer.checks.ok && engineAtPeerOps.checks.ok;
    const ratio = engineAtPeerOps.opsPerSec / peer.opsPerSec;
    const t = TARGETS[profile];
    const pass: Record<string, boolean> = {
      opsPerSec: engine.checks.ok && engine.opsPerSec >= t.opsPerSec,
      ratio: valid && ratio >= t.ratio,
      cancelP99: engine.checks.ok && engine.latency.cancel.p99Ns <= TARGETS.cancelP99Ns,
    };
    if (deep) pass.bytesPerRestingOrder = engine.checks.ok && engine.bytesPerRestingOrder !== null && engine.bytesPerRestingOrder <= TARGETS.bytesPerRestingOrder;
    results[profile] = { engine, peer, engineAtPeerOps, ratio, pass };

    const row = (label: string, e: string, p: string): void => log(`  ${label.padEnd(34)}${e.padStart(26)}${p.padStart(32)}`);
    log();
    log(`== ${profile} ==`);
    row('', 'engine', 'peer (nodejs-order-book)');
    row('ops in stream', fmt(engine.ops), fmt(peer.ops) + (peer.ops < engine.ops ? ' (prefix)' : ''));
    row(`ops/s (median)`, fmt(engine.opsPerSec), fmt(peer.opsPerSec));
    row(`ops per CPU-second (median)`, fmt(engine.cpuOpsPerSec), fmt(peer.cpuOpsPerSec));
    row('ops/s per run', engine.runOpsPerSec.map((x) => fmt(x / 1e6, 2) + 'M').join(' '), peer.runOpsPerSec.map((x) => fmt(x / 1e3, 1) + 'k').join(' '));
    if (engineAtPeerOps !== engine) row(`ops/s on the peer's ${fmt(peerOps)}-op prefix`, fmt(engineAtPeerOps.opsPerSec), fmt(peer.opsPerSec));
    row(`latency ns p50 / p99 / p99.9`, lat(engine.latency.all), lat(peer.latency.all));
    row('  limit', lat(engine.latency.limit), lat(peer.latency.limit));
    row('  cancel', lat(engine.latency.cancel), lat(peer.latency.cancel));
    row('  market', lat(engine.latency.market), lat(peer.latency.market));
    row('  latency pass ops', fmt(engine.latencyOps), fmt(peer.latencyOps) + (peer.latencyOps < peer.ops ? ' (prefix)' : ''));
    row('warm-up ops (untimed)', fmt(engine.warmupOps), fmt(peer.warmupOps));
    row('  timer overhead (included)', `${fmt(engine.timerOverheadNs)} ns`, `${fmt(peer.timerOverheadNs)} ns`);
    row('peak RSS (child process)', mb(engine.maxRssBytes), mb(peer.maxRssBytes));
    row('resting orders at end', fmt(engine.restingCount), fmt(peer.restingCount));
    row('heap growth / resting order', `${fmt(engine.bytesPerRestingOrder, 1)} B`, `${fmt(peer.bytesPerRestingOrder, 1)} B`);
    row('checks vs reference model', engine.checks.ok ? 'OK' : 'FAILED', peer.checks.ok ? 'OK' : 'FAILED');
    for (const c of [engine, peer, engineAtPeerOps]) for (const p of c.checks.problems) log(`  ! ${c.kind}: ${p}`);
    log(`  ratio engine/peer: ${fmt(ratio, 1)}×${peerOps < args.ops ? ` (both on the first ${fmt(peerOps)} ops)` : ''}${valid ? '' : ' — INVALID (a check failed)'}`);
    log(`  ${pf(pass.opsPerSec!)}  ops/s >= ${fmt(t.opsPerSec)}`);
    log(`  ${pf(pass.ratio!)}  ratio >= ${t.ratio}×`);
    log(`  ${pf(pass.cancelP99!)}  cancel p99 <= ${fmt(TARGETS.cancelP99Ns / 1000, 0)} µs`);
    if (deep) log(`  ${pf(pass.bytesPerRestingOrder!)}  heap growth per resting order <= ${TARGETS.bytesPerRestingOrder} B`);
  }

  const allValid = Object.values(results).every((r) => r.engine.checks.ok && r.peer.checks.ok && r.engineAtPeerOps.checks.ok);
  const allPass = Object.values(results).every((r) => Object.values(r.pass).every(Boolean));
  log();
  log(`summary: ${allValid ? 'all checks OK' : 'CHECKS FAILED'}; targets ${allPass ? 'all PASS' : 'some FAIL'}; load average ${load()}`);
  if (Math.max(loadStart, loadavg()[0]!) > cpus().length) {
    log(`warning: load average above ${cpus().length} (other processes competed for the CPUs): wall-clock figures are pessimistic`);
  }
  if (!allValid) process.exitCode = 1;

  if (args.json) {
    const out: Record<string, unknown> = {};
    for (const [profile, r] of Object.entries(results)) {
      out[profile] = {
        opsPerSec: Math.round(r.engine.opsPerSec),
        peerOpsPerSec: Math.round(r.peer.opsPerSec),
        ratio: Number(r.ratio.toFixed(2)),
        p50Ns: r.engine.latency.all.p50Ns,
        p99Ns: r.engine.latency.all.p99Ns,
        p999Ns: r.engine.latency.all.p999Ns,
        cancelP99Ns: r.engine.latency.cancel.p99Ns,
        bytesPerRestingOrder: r.engine.bytesPerRestingOrder === null ? null : Number(r.engine.bytesPerRestingOrder.toFixed(1)),
        ops: r.engine.ops,
        peerOps: r.peer.ops,
        engineOpsPerSecAtPeerOps: Math.round(r.engineAtPeerOps.opsPerSec),
        runOpsPerSec: r.engine.runOpsPerSec.map(Math.round),
        cpuOpsPerSec: Math.round(r.engine.cpuOpsPerSec),
        peerCpuOpsPerSec: Math.round(r.peer.cpuOpsPerSec),
        loadAverage: loadavg()[0],
        latency: r.engine.latency,
        peerLatency: r.peer.latency,
        peerLatencyOps: r.peer.latencyOps,
        timerOverheadNs: r.engine.timerOverheadNs,
        maxRssBytes: r.engine.maxRssBytes,
        peerMaxRssBytes: r.peer.maxRssBytes,
        restingCount: r.engine.restingCount,
        peerBytesPerRestingOrder: r.peer.bytesPerRestingOrder === null ? null : Number(r.peer.bytesPerRestingOrder.toFixed(1)),
        checksOk: r.engine.checks.ok && r.engineAtPeerOps.checks.ok,
        peerChecksOk: r.peer.checks.ok,
        pass: r.pass,
      };
    }
    log(JSON.stringify(out));
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
