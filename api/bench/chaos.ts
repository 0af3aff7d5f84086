/**
 * `npm run chaos`: trading on MySQL while the API is killed with SIGKILL and restarted; then
 * every acknowledged order, idempotency, the books and the audit are checked (see
 * harness/proof-chaos.ts). Exit 0 when every check passed, 1 otherwise.
 *
 *   npm run chaos -- [--kills 10] [--seconds 60] [--accounts 16] [--fix-accounts 2] [--symbols AAPL,MSFT,SPY,TSLA]
 *                    [--replicas 1] [--seed 1] [--no-build] [--keep-db] [--json]
 *
 * `--replicas 2`: two API processes on the database and one Redis (TEST_REDIS_URL) trade the
 * same symbols; the kills alternate between them while the other trades on, and the books of
 * both are compared with the database after every restart and at the end.
 *
 * MySQL: TEST_MYSQL_URL's server (default mysql://root@127.0.0.1:3306); a fresh database is
 * created and dropped. Loopback only.
 */
import { parseArgs } from 'node:util';
import { CHAOS_DEFAULTS, runChaos } from '../harness/proof-chaos.js';

const { values } = parseArgs({
  options: {
    kills: { type: 'string' },
    seconds: { type: 'string' },
    accounts: { type: 'string' },
    'fix-accounts': { type: 'string' },
    symbols: { type: 'string' },
    seed: { type: 'string' },
    replicas: { type: 'string' },
    'no-build': { type: 'boolean' },
    'keep-db': { type: 'boolean' },
    json: { type: 'boolean' },
  },
});
const int = (v: string | undefined, d: number, min: number, max: number) => {
  const n = v === undefined ? d : Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`expected an integer in [${min}, ${max}], got ${v}`);
  return n;
};

const result = await runChaos({
  kills: int(values.kills, CHAOS_DEFAULTS.kills, 1, 200),
  seconds: int(values.seconds, CHAOS_DEFAULTS.seconds, 5, 3600),
  accounts: int(values.accounts, CHAOS_DEFAULTS.accounts, 2, 200),
  fixAccounts: int(values['fix-accounts'], CHAOS_DEFAULTS.fixAccounts, 0, 50),
  symbols: values.symbols ? values.symbols.split(',') : CHAOS_DEFAULTS.symbols,
  seed: int(values.seed, CHAOS_DEFAULTS.seed, 0, 2 ** 31),
  replicas: int(values.replicas, 1, 1, 4),
  reuseBuild: values['no-build'],
  keepDatabase: values['keep-db'],
  log: (line) => console.log(line),
});

const fg = result.figures as Record<string, unknown> & { requests: Record<string, number>; answered: Record<string, number>; restartMs: { mean: number; max: number } };
console.log('');
console.log(`Chaos ${result.ok ? 'PASSED' : 'FAILED'} in ${fg.seconds} s, ${fg.replicas} API process(es): ${fg.kills} SIGKILLs, restart ${fg.restartMs.mean} ms mean (${fg.restartMs.max} max).`);
console.log(`  requests: ${JSON.stringify(fg.requests)} answered: ${JSON.stringify(fg.answered)}; connection errors ${fg.connectionErrors}, retries ${fg.retries}, in flight at the kills ${fg.inFlightAtKills}`);
console.log(`  idempotency: ${fg.retriedPlaces} placeOrder retried after a connection error (${fg.retriedPlacesAlreadyCommitted} had been committed before it: answered with the existing order), ${fg.duplicateSends} sent twice at once; duplicate (account, ClOrdID): ${fg.duplicateClOrdIds}`);
console.log(`  acknowledged orders ${fg.acknowledgedOrders}: missing ${fg.missing}, behind their acknowledgement ${fg.regressed}; trades without exactly two executions ${fg.tradesWithoutTwoExecutions}; book comparisons ${fg.bookComparisons}`);
console.log(`  FIX: ${JSON.stringify(fg.fix)}`);
console.log(`  refusals: ${JSON.stringify(fg.refusals)}`);
console.log(`  database: ${JSON.stringify(fg.database)}; audit clean: ${(fg.audit as { ok: boolean }).ok}`);
for (const line of result.failures.slice(0, 50)) console.log(`  FAIL ${line}`);
for (const line of result.warnings) console.log(`  WARNING ${line}`);
if (values.json) console.log(JSON.stringify({ ok: result.ok, ...result.figures, failureLines: result.failures.slice(0, 50), warnings: result.warnings }));
process.exit(result.ok ? 0 : 1);
