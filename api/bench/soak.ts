/**
 * `npm run soak`: holds a placeOrder rate against the compiled API with subscribers attached,
 * then prints errors, latency percentiles per window and the server's RSS (see
 * harness/proof-soak.ts for the flow and how memory growth is judged). Exit 0 when there was no
 * error, the rate was held, memory stayed flat after warm-up and the audit is clean.
 *
 *   npm run soak -- [--rate 1000] [--seconds 60] [--warmup 30] [--subscribers 100] [--accounts 50]
 *                   [--db mysql|sqlite] [--window 10] [--no-build] [--no-audit] [--no-heap] [--json]
 *                   [--overload [--capacity N]]
 *
 * `--overload`: a rate above capacity (e.g. 2×), where admission control refuses what the
 * server cannot answer in time: SERVICE_UNAVAILABLE answers are counted as refusals, not
 * errors; every order must be answered (accepted or refused) at the rate, and with
 * `--capacity N` (orders/s of a run at capacity) the accepted rate must reach 90 % of N.
 */
import { parseArgs } from 'node:util';
import { SOAK_DEFAULTS, runSoak } from '../harness/proof-soak.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    subscribers: { type: 'string' },
    accounts: { type: 'string' },
    symbols: { type: 'string' },
    db: { type: 'string' },
    window: { type: 'string' },
    'max-in-flight': { type: 'string' },
    seed: { type: 'string' },
    'no-build': { type: 'boolean' },
    'no-audit': { type: 'boolean' },
    'no-heap': { type: 'boolean' },
    json: { type: 'boolean' },
    overload: { type: 'boolean' },
    capacity: { type: 'string' },
  },
});
const int = (v: string | undefined, d: number, min: number, max: number) => {
  const n = v === undefined ? d : Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`expected an integer in [${min}, ${max}], got ${v}`);
  return n;
};
const database = values.db ?? SOAK_DEFAULTS.database;
if (database !== 'mysql' && database !== 'sqlite') throw new Error('--db is mysql or sqlite');
const seconds = int(values.seconds, SOAK_DEFAULTS.seconds, 5, 24 * 3600);

const r = await runSoak({
  rate: int(values.rate, SOAK_DEFAULTS.rate, 1, 100_000),
  seconds,
  warmup: int(values.warmup, SOAK_DEFAULTS.warmup, 0, 3600),
  subscribers: int(values.subscribers, SOAK_DEFAULTS.subscribers, 0, 10_000),
  accounts: int(values.accounts, SOAK_DEFAULTS.accounts, 1, 10_000),
  symbols: values.symbols ? values.symbols.split(',') : SOAK_DEFAULTS.symbols,
  database,
  window: int(values.window, SOAK_DEFAULTS.window, 1, 3600),
  maxInFlight: int(values['max-in-flight'], SOAK_DEFAULTS.maxInFlight, 1, 1_000_000),
  seed: int(values.seed, SOAK_DEFAULTS.seed, 0, 2 ** 31),
  reuseBuild: values['no-build'],
  audit: !values['no-audit'],
  liveHeap: !values['no-heap'],
  overload: values.overload,
  capacity: values.capacity === undefined ? undefined : int(values.capacity, 0, 1, 1_000_000),
  log: (line) => console.log(line),
});

console.log('');
console.log(' window (s)   sent     ok refused  errors   p50 ms   p90 ms   p99 ms   max ms   RSS MiB');
for (const w of r.windows) {
  const c = (x: number | string, n: number) => String(x).padStart(n);
  console.log(`${c(`${w.fromS}–${w.toS}`, 11)}${c(w.sent, 7)}${c(w.ok, 7)}${c(w.refused, 8)}${c(w.errors, 8)}${c(w.p50, 9)}${c(w.p90, 9)}${c(w.p99, 9)}${c(w.max, 9)}${c(w.rssMiB, 10)}`);
}
console.log('');
console.log(`Sent ${r.sent}, answered ${r.answered} (${r.achievedRate}/s); errors ${r.errors} ${JSON.stringify(r.errorKinds)}`);
if (values.overload) {
  const cap = values.capacity ? `; capacity ${values.capacity}/s → accepted ${Math.round((100 * r.achievedRate) / Number(values.capacity))} % of it` : '';
  console.log(`Refused (SERVICE_UNAVAILABLE) ${r.refused} (${r.refusedRate}/s) ${JSON.stringify(r.refusedKinds)}, largest retry hint ${r.maxRetryAfterMs} ms; accepted ${r.achievedRate}/s${cap}`);
}
console.log(`Latency ms (accepted orders): p50 ${r.latencyMs.p50}, p90 ${r.latencyMs.p90}, p99 ${r.latencyMs.p99}, max ${r.latencyMs.max}`);
console.log(`RSS MiB: start ${r.rssMiB.start}, after warm-up ${r.rssMiB.afterWarmup}, end ${r.rssMiB.end}; growth after warm-up ${r.rssMiB.growthAfterWarmup} (allowed ${r.rssMiB.allowedGrowth}), slope ${r.rssMiB.slopeMiBPerMin} MiB/min`);
console.log(`Live heap MiB (V8 heap in use after a full GC): after warm-up ${r.liveHeapMiB.afterWarmup}, end ${r.liveHeapMiB.end}; growth ${r.liveHeapMiB.growth} (allowed ${r.liveHeapMiB.allowedGrowth})`);
console.log(`V8 heap used MiB (garbage included): start ${r.heapUsedMiB.start}, after warm-up ${r.heapUsedMiB.afterWarmup}, end ${r.heapUsedMiB.end}`);
console.log(`V8 heap committed MiB: start ${r.heapTotalMiB.start}, after warm-up ${r.heapTotalMiB.afterWarmup}, end ${r.heapTotalMiB.end}; external (Buffers) MiB: start ${r.externalMiB.start}, after warm-up ${r.externalMiB.afterWarmup}, end ${r.externalMiB.end}`);
console.log(`Resting orders: start ${r.restingOrders.start}, after warm-up ${r.restingOrders.afterWarmup}, end ${r.restingOrders.end}`);
console.log(`Subscribers: ${r.subscribers.clients} clients, ${r.subscribers.subscriptions} subscriptions, ${r.subscribers.messages} messages, ${r.subscribers.errors} errors`);
if (r.audit) console.log(`Audit: ${r.audit.ok ? 'clean' : `FAILED (${r.audit.violations} violations)`}`);
console.log(`Verdicts: ${JSON.stringify(r.verdicts)} → ${r.ok ? 'PASSED' : 'FAILED'}`);
if (values.json) console.log(JSON.stringify(r));
process.exit(r.ok ? 0 : 1);
