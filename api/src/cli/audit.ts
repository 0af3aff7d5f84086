/**
 * Audits a database against the order path's invariants (see modules/audit/audit.ts) and
 * prints every violation, then a summary.
 *
 *   node api/dist/cli/audit.js --db <sqlite:file | mysql://user@host:3306/db> [--json] [--books]
 *
 * `--db` defaults to DATABASE_URL. Read-only: no migration, no seeding. `--json` adds a
 * machine-readable last line ({ ok, violations, stats, books? }); `--books` puts every book
 * rebuilt from the database (full depth, ticks and lots) in it. Exit status: 0 clean,
 * 1 violations found, 2 the audit could not run.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { openOrm } from '../db/orm.js';
import { knexOf } from '../db/knex.js';
import { auditDatabase, databaseBooks } from '../modules/audit/audit.js';

const usage = 'usage: audit --db <sqlite:<file> | mysql://user[:pass]@host:port/db> [--json] [--books]';

let args;
try {
  args = parseArgs({ options: { db: { type: 'string' }, json: { type: 'boolean' }, books: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (e) {
  console.error(`${(e as Error).message}\n${usage}`);
  process.exit(2);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const url = args.db ?? process.env.DATABASE_URL;
if (!url) {
  console.error(`No database: give --db or set DATABASE_URL.\n${usage}`);
  process.exit(2);
}

let status = 2;
try {
  const { orm } = await openOrm(url);
  try {
    const knex = knexOf(orm);
    const started = performance.now();
    const report = await auditDatabase(knex);
    const books = args.books ? await databaseBooks(knex) : undefined;
    const ms = Math.round(performance.now() - started);
    for (const v of report.violations) console.log(v);
    const s = report.stats;
    const r = s.replay;
    const statuses = Object.entries(s.byStatus).sort().map(([k, v]) => `${k} ${v}`).join(', ');
    console.log('');
    console.log(`Audited ${s.orders} orders (${statuses || 'none'}), ${s.executions} executions = ${s.trades} trades, ${s.symbols} symbols, ${s.accounts} accounts, ${s.openOrders} resting orders in ${ms} ms.`);
    console.log(
      `Replay: ${r.commandsReplayed} entries matched through the engine reproduced ${r.tradesReplayed} trades; ${r.commandsPartial} entries and ${r.tradesApplied} trades involved an order's earlier (amended) place and were applied as recorded; ${r.unjournaledEvents} events not journaled (amends keeping priority, earlier places of amended orders).`,
    );
    const j = s.journal;
    console.log(
      `Journal: ${j.symbolsReplayed} symbols replayed exactly, ${j.symbolsReplayed - j.symbolsFromSnapshot} from seq 0 and ${j.symbolsFromSnapshot} from a snapshot (${j.entries} entries, ${j.commands} commands, ${j.trades} trades, ${j.hashesChecked} state hashes, ${j.snapshotsChecked} snapshots)${j.symbolsNotReplayable.length > 0 ? `; not replayable (journal reaches back neither to seq 0 nor to a snapshot): ${j.symbolsNotReplayable.join(', ')}` : ''}.`,
    );
    if (r.symbolsStopped.length > 0) console.log(`Replay stopped at a violation in: ${r.symbolsStopped.join(', ')}`);
    console.log(report.violations.length === 0 ? 'Audit clean: no violation.' : `Audit FAILED: ${report.violations.length} violation(s).`);
    if (args.json) console.log(JSON.stringify({ ok: report.violations.length === 0, violations: report.violations.length, ms, stats: s, ...(books ? { books } : {}) }));
    status = report.violations.length === 0 ? 0 : 1;
  } finally {
    await orm.close(true);
  }
} catch (e) {
  console.error(`The audit could not run: ${(e as Error).message}`);
  status = 2;
}
process.exit(status);
