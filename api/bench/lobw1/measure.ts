/**
 * Measurement passes over a LOBW1 stream: throughput (no per-op timer), per-op latency (a timer
 * around each op), heap growth, and the LOBW1 result checks.
 */
import type { Adapter } from './adapters.js';
import type { DepthPair } from './model.js';
import { OP_CANCEL, OP_LIMIT, type Lobw1Expected, type Lobw1Stream } from './generate.js';

/** Wall-clock and process CPU seconds of one pass. */
export interface PassTime {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
}

/** Runs ops [0, n) on a fresh book; returns elapsed wall-clock and CPU (user + system) seconds. */
export function throughputPass(a: Adapter, n: number): PassTime {
  a.reset();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) a.apply(i);
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { wallSeconds, cpuSeconds: (c.user + c.system) / 1e6 };
}

/** Runs ops [0, n) on a fresh book with process.hrtime.bigint() around each; returns ns per op. */
export function latencyPass(a: Adapter, n: number): Float64Array {
  a.reset();
  const ns = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    a.apply(i);
    ns[i] = Number(process.hrtime.bigint() - t0);
  }
  return ns;
}

/** Median cost in ns of an empty timer pair (included in every latency figure, not subtracted). */
export function timerOverheadNs(): number {
  const samples = new Float64Array(100_000);
  for (let i = 0; i < samples.length; i++) {
    const t0 = process.hrtime.bigint();
    samples[i] = Number(process.hrtime.bigint() - t0);
  }
  return quantile(samples.sort(), 0.5);
}

/** Quantile q of an ascending-sorted array (nearest rank). */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ns: number;
  readonly p99Ns: number;
  readonly p999Ns: number;
  readonly maxNs: number;
}

function summarize(values: Float64Array): LatencySummary {
  const s = values.sort();
  return { count: s.length, p50Ns: quantile(s, 0.5), p99Ns: quantile(s, 0.99), p999Ns: quantile(s, 0.999), maxNs: s[s.length - 1] ?? NaN };
}

/** Latency percentiles over all ops and by op type (limit, cancel, market). */
export function latencyByType(ns: Float64Array, s: Lobw1Stream): Record<'all' | 'limit' | 'cancel' | 'market', LatencySummary> {
  const n = ns.length;
  const counts = [0, 0, 0];
  for (let i = 0; i < n; i++) counts[s.type[i]!]!++;
  const parts = counts.map((c) => new Float64Array(c));
  const fill = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const t = s.type[i]!;
    parts[t]![fill[t]!++] = ns[i]!;
  }
  return {
    all: summarize(Float64Array.from(ns)),
    limit: summarize(parts[OP_LIMIT]!),
    cancel: summarize(parts[OP_CANCEL]!),
    market: summarize(parts[2]!),
  };
}

export interface CheckResult {
  readonly ok: boolean;
  readonly problems: readonly string[];
}

/** LOBW1 checks: traded quantity, successful cancels, final depth per level. */
export function checkResults(a: Adapter, expected: Lobw1Expected): CheckResult {
  const problems: string[] = [];
  if (a.tradedQty !== expected.tradedQty) problems.push(`traded qty ${a.tradedQty} != ${expected.tradedQty}`);
  if (a.cancels !== expected.cancels) problems.push(`cancels ${a.cancels} != ${expected.cancels}`);
  const d = a.depth();
  const same = (x: readonly DepthPair[], y: readonly DepthPair[]): boolean =>
    x.length === y.length && x.every((l, i) => l[0] === y[i]![0] && l[1] === y[i]![1]);
  if (!same(d.bids, expected.bids)) problems.push(`bid depth differs (${d.bids.length} levels vs ${expected.bids.length})`);
  if (!same(d.asks, expected.asks)) problems.push(`ask depth differs (${d.asks.length} levels vs ${expected.asks.length})`);
  return { ok: problems.length === 0, problems };
}

/** Runs `gc()` twice if node was started with --expose-gc; returns false otherwise. */
export function fullGc(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return false;
  gc();
  gc();
  return true;
}

/** Heap bytes in use: V8 heap plus ArrayBuffer backing stores (where typed arrays live). */
export function heapBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
