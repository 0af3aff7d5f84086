/**
 * The audit proves more than row arithmetic: each corruption below leaves every order, trade
 * and holding arithmetically consistent (the row rules stay silent), yet the sequence rules or
 * the engine replay catch it. Also: a real random flow (amends, cancels, self-trades, FOK,
 * market orders) audits clean and really goes through the replay; the CLI prints every
 * violation and exits 1, or 0 with a summary.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { auditDatabase, auditOrderPath, holdingsOf } from '../../src/modules/audit/audit.js';
import { flowViolations, runFlow, seededCommands } from '../support/commands.js';
import { adminClient, createProduct, newTrader, type TradingClient } from '../support/trading.js';
import type { Knex } from '../../src/db/knex.js';
import { ensureProofBuild } from '../../harness/proof-build.js';

/** Rules that look at sequence and replay, not at row arithmetic. */
const REPLAY_RULES = ['replay gives the same trades', 'replay leaves the same book', 'commands are atomic', 'sequence numbers are unique', 'book_seq accounts for every event'];
const isReplayRule = (line: string) => REPLAY_RULES.some((r) => line.startsWith(r)) || line.startsWith('journal ');

describe('the audit', () => {
  let t: TestApp;
  let admin: TradingClient;
  let a: TradingClient;
  let b: TradingClient;
  let c: TradingClient;
  let d: TradingClient;
  const ids: Record<string, number> = {};

  /** A fresh product for one scenario. */
  const product = (symbol: string) => createProduct(t.url, admin.token, symbol, '100.00');
  const place = async (who: TradingClient, name: string, input: Parameters<TradingClient['place']>[0]) => {
    const o = await who.place({ timeInForce: 'GTC', ...input });
    ids[name] = Number(o.id);
    return o;
  };

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    admin = await adminClient(t.url);
    const traders = await Promise.all(['aud-a', 'aud-b', 'aud-c', 'aud-d'].map((n) => newTrader(t.url, n)));
    [a, b, c, d] = traders as [TradingClient, TradingClient, TradingClient, TradingClient];

    // PRICE: c's buy at 101 takes a's ask at 100 while b's ask at 101 waits.
    await product('PRICE');
    await place(a, 'priceA', { symbol: 'PRICE', side: 'SELL', price: '100.00', quantity: 10 });
    await place(b, 'priceB', { symbol: 'PRICE', side: 'SELL', price: '101.00', quantity: 10 });
    expect((await place(c, 'priceC', { symbol: 'PRICE', side: 'BUY', price: '101.00', quantity: 10 })).avgPx).toMatch(/^100\.0+$/);

    // TIME: two asks at 100; the first one fills.
    await product('TIME');
    await place(a, 'timeA', { symbol: 'TIME', side: 'SELL', price: '100.00', quantity: 10 });
    await place(b, 'timeB', { symbol: 'TIME', side: 'SELL', price: '100.00', quantity: 10 });
    await place(c, 'timeC', { symbol: 'TIME', side: 'BUY', price: '100.00', quantity: 10 });

    // IOC: an IOC buy takes 4 of a resting ask.
    await product('IOCX');
    await place(a, 'iocA', { symbol: 'IOCX', side: 'SELL', price: '100.00', quantity: 10 });
    expect((await place(c, 'iocC', { symbol: 'IOCX', side: 'BUY', price: '100.00', quantity: 4, timeInForce: 'IOC' })).status).toBe('FILLED');

    // ATOM: a trade (seq 3), then d's ask enters (seq 4).
    await product('ATOM');
    await place(a, 'atomA', { symbol: 'ATOM', side: 'SELL', price: '100.00', quantity: 10 });
    await place(c, 'atomC', { symbol: 'ATOM', side: 'BUY', price: '100.00', quantity: 10 });
    await place(d, 'atomD', { symbol: 'ATOM', side: 'SELL', price: '105.00', quantity: 5 });

    // SEQ: an order and its cancel.
    await product('SEQX');
    await place(a, 'seqA', { symbol: 'SEQX', side: 'SELL', price: '100.00', quantity: 10 });
    await a.cancel(String(ids.seqA));

    // AMEND: a's ask fills 4 as maker, then loses priority (new price) and fills again at its new price.
    await product('AMND');
    await place(a, 'amendA', { symbol: 'AMND', side: 'SELL', price: '100.00', quantity: 10 });
    await place(c, 'amendC', { symbol: 'AMND', side: 'BUY', price: '100.00', quantity: 4 });
    await a.amend(String(ids.amendA), 10, '101.00');
    await place(d, 'amendD', { symbol: 'AMND', side: 'BUY', price: '101.00', quantity: 3 });
  });
  afterAll(async () => t?.dispose());

  /** Corrupts the database inside a transaction, audits it (without the engine), and rolls back. */
  const auditCorrupted = async (corrupt: (trx: Knex.Transaction) => Promise<unknown>, options: Parameters<typeof auditOrderPath>[1] = {}): Promise<string[]> => {
    let found: string[] = [];
    await t.app.services.knex
      .transaction(async (trx) => {
        await corrupt(trx);
        found = await auditOrderPath(trx, options);
        throw new Error('rollback');
      })
      .catch((e: Error) => {
        if (e.message !== 'rollback') throw e;
      });
    return found;
  };

  it('finds a clean state clean, and replays every entry without an amended maker through the engine', async () => {
    const report = await auditDatabase(t.app.services.knex, { engine: t.app.services.engine });
    expect(report.violations).toEqual([]);
    const r = report.stats.replay;
    // The AMEND scenario's first trade involves a's earlier place: applied as recorded; everything else replays.
    expect(r).toMatchObject({ commandsPartial: 1, tradesApplied: 1, symbolsStopped: [] });
    expect(r.tradesReplayed).toBe(report.stats.trades - 1);
    // Cancels are counted from the orders' statuses; only AMND's original entry (overwritten by the amend) is unidentified.
    expect(r.unjournaledEvents).toBe(1);
  });

  it.each([
    {
      corruption: 'a buy filled at 101 against the 101 ask while the 100 ask rested (price priority)',
      symbol: 'PRICE',
      rule: 'replay gives the same trades',
      corrupt: async (trx: Knex.Transaction) => {
        await trx('executions').where({ symbol: 'PRICE', side: 'SELL' }).update({ order_id: ids.priceB, account_id: Number(b.id), price_ticks: 10100 });
        await trx('executions').where({ symbol: 'PRICE', side: 'BUY' }).update({ price_ticks: 10100, counter_order_id: ids.priceB });
        await trx('orders').where({ id: ids.priceA }).update({ cum_qty: 0, leaves_qty: 10, cum_notional: 0, status: 'NEW' });
        await trx('orders').where({ id: ids.priceB }).update({ cum_qty: 10, leaves_qty: 0, cum_notional: 101000, status: 'FILLED' });
        await trx('orders').where({ id: ids.priceC }).update({ cum_notional: 101000 });
        await trx('products').where({ symbol: 'PRICE' }).update({ last_price_ticks: 10100 });
      },
    },
    {
      corruption: 'the later of two asks at the same price filled first (time priority)',
      symbol: 'TIME',
      rule: 'replay gives the same trades',
      corrupt: async (trx: Knex.Transaction) => {
        await trx('executions').where({ symbol: 'TIME', side: 'SELL' }).update({ order_id: ids.timeB, account_id: Number(b.id) });
        await trx('executions').where({ symbol: 'TIME', side: 'BUY' }).update({ counter_order_id: ids.timeB });
        await trx('orders').where({ id: ids.timeA }).update({ cum_qty: 0, leaves_qty: 10, cum_notional: 0, status: 'NEW' });
        await trx('orders').where({ id: ids.timeB }).update({ cum_qty: 10, leaves_qty: 0, cum_notional: 100000, status: 'FILLED' });
      },
    },
    {
      corruption: 'an IOC canceled unfilled while a crossing ask rested (a lost trade)',
      symbol: 'IOCX',
      rule: 'replay gives the same trades',
      corrupt: async (trx: Knex.Transaction) => {
        await trx('executions').where({ symbol: 'IOCX' }).delete();
        await trx('orders').where({ id: ids.iocA }).update({ cum_qty: 0, leaves_qty: 10, cum_notional: 0, status: 'NEW' });
        await trx('orders').where({ id: ids.iocC }).update({ cum_qty: 0, leaves_qty: 0, cum_notional: 0, status: 'CANCELED', reason: 'IOC_REMAINDER' });
        await trx('products').where({ symbol: 'IOCX' }).update({ last_price_ticks: null });
      },
    },
    {
      corruption: 'another order entered in the middle of a command (interleaving)',
      symbol: 'ATOM',
      rule: 'commands are atomic',
      corrupt: async (trx: Knex.Transaction) => {
        const [trade] = await trx('executions').where({ symbol: 'ATOM' }).pluck('trade_id');
        const dSeq = Number((await trx('orders').where({ id: ids.atomD }).first('priority_seq')).priority_seq);
        await trx('executions').where({ symbol: 'ATOM' }).update({ trade_id: dSeq, exec_id: trx.raw(`exec_id || 'x'`) });
        await trx('orders').where({ id: ids.atomD }).update({ priority_seq: trade });
      },
    },
    {
      corruption: 'a book_seq too small for its cancel',
      symbol: 'SEQX',
      rule: 'book_seq accounts for every event',
      corrupt: async (trx: Knex.Transaction) => trx('products').where({ symbol: 'SEQX' }).decrement('book_seq', 1),
    },
  ])('catches $corruption ($rule) where the row rules see nothing', async ({ corrupt, rule, symbol }) => {
    const found = await auditCorrupted(corrupt);
    expect(found.filter((l) => !isReplayRule(l))).toEqual([]);
    expect(found.some((l) => l.startsWith(`${rule}: ${symbol}`))).toBe(true);
  });

  it('catches a duplicated fill (the same trade written twice)', async () => {
    const found = await auditCorrupted(async (trx) => {
      const rows = await trx('executions').where({ symbol: 'TIME' }).select('*');
      await trx('executions').insert(rows.map(({ id: _id, ...r }) => ({ ...r, exec_id: `${r.exec_id}:dup` })));
    });
    expect(found.some((l) => l.startsWith('one BUY and one SELL per trade: TIME#'))).toBe(true);
    expect(found.some((l) => l.startsWith('cumQty = Σ fills'))).toBe(true);
  });

  it('checks the holdings query against a recomputation from executions', async () => {
    const real = holdingsOf(t.app.services.knex);
    const found = await auditOrderPath(t.app.services.knex, { holdings: async (id) => (await real(id)).map((h) => ({ ...h, basis: h.basis + 1n })) });
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((l) => l.startsWith('holdings query = recomputation: account'))).toBe(true);
  });

  it('audits a random concurrent flow (amends, cancels, self-trades, FOK, market) clean, replaying it through the engine', async () => {
    const symbols = [await product('RNDA'), await product('RNDB')];
    const clients = [a, b, c, d];
    const flow = await runFlow({ url: t.url, clients, symbols, known: [] }, seededCommands(4242, 400, { accounts: clients.length, symbols: symbols.length }), 12);
    expect(flowViolations(flow)).toEqual([]);
    const report = await auditDatabase(t.app.services.knex, { engine: t.app.services.engine });
    expect(report.violations).toEqual([]);
    expect(report.stats.replay.commandsReplayed).toBeGreaterThan(200);
    expect(report.stats.replay.tradesReplayed).toBeGreaterThan(50);
  });
});

describe('the audit CLI', () => {
  let t: TestApp;
  let cli: string;

  beforeAll(async () => {
    [t, { auditCli: cli }] = await Promise.all([startTestApp('sqlite'), ensureProofBuild()]);
    const [x, y] = await Promise.all([newTrader(t.url, 'cli-x'), newTrader(t.url, 'cli-y')]);
    await x.place({ symbol: 'AAPL', side: 'SELL', price: '140.00', quantity: 10 });
    await y.place({ symbol: 'AAPL', side: 'BUY', price: '140.00', quantity: 4 });
  }, 300_000);
  afterAll(async () => t?.dispose());

  const run = () => {
    const r = spawnSync(process.execPath, [cli, '--db', t.databaseUrl, '--json', '--books'], { encoding: 'utf8', timeout: 60_000 });
    const lines = r.stdout.trim().split('\n');
    return { status: r.status, lines, json: JSON.parse(lines[lines.length - 1]!) as { ok: boolean; violations: number; books: { symbol: string; seq: number; asks: { price: number; qty: number }[] }[] } };
  };

  it('exits 0 on a clean database, with a summary and the books rebuilt from it', () => {
    const r = run();
    expect(r.status).toBe(0);
    expect(r.lines).toContain('Audit clean: no violation.');
    expect(r.json).toMatchObject({ ok: true, violations: 0 });
    expect(r.json.books.find((bk) => bk.symbol === 'AAPL')).toMatchObject({ seq: 3, asks: [{ price: 14000, qty: 6 }] });
  });

  it('prints every violation and exits 1', async () => {
    await t.app.services.knex('orders').update({ cum_qty: t.app.services.knex.raw('cum_qty + 1') }).where('cum_qty', '>', 0);
    const r = run();
    expect(r.status).toBe(1);
    expect(r.lines.filter((l) => l.startsWith('cumQty = Σ fills:'))).toHaveLength(2);
    expect(r.json).toMatchObject({ ok: false });
  });

  it('exits 2 when it cannot run', () => {
    const r = spawnSync(process.execPath, [cli, '--db', 'postgres://nowhere/x'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('could not run');
  });
});
