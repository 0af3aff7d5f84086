/**
 * FIX kill switches in raw frames: OrderMassCancelRequest (q) → OrderMassCancelReport (r) with
 * the FIX 4.4 fields and one ExecutionReport per canceled order; cancel-on-disconnect set per
 * session by Logon tag 8013 or by the account's setting; FIX logons in the audit trail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, WIDE_BAND, type TestApp } from '../support/app.js';
import { ok, passwordOf } from '../support/gql.js';
import { adminClient, createProduct, newTrader, type TradingClient } from '../support/trading.js';
import { MsgType, Tag } from './support/orders.js';
import { RawFixClient, type Field, type RawMessage } from './support/raw-fix.js';

const MASS_CANCEL_REQUEST_TYPE = 530;
const MASS_CANCEL_RESPONSE = 531;
const MASS_CANCEL_REJECT_REASON = 532;
const TOTAL_AFFECTED_ORDERS = 533;
const COD = 8013;

const massCancel = (clOrdId: string, type: string, extra: Field[] = []): Field[] => [
  [Tag.ClOrdID, clOrdId],
  [MASS_CANCEL_REQUEST_TYPE, type],
  ...extra,
  [Tag.TransactTime, '20260101-00:00:00.000'],
];

describe('FIX kill switches (sqlite)', () => {
  let t: TestApp;
  let admin: TradingClient;
  const clients: RawFixClient[] = [];
  const port = () => t.app.fixPort!;
  const statuses = async (ids: string[]) =>
    (await t.app.services.knex('orders').whereIn('id', ids.map(Number)).orderBy('id').select('status', 'reason')).map((r) => `${r.status}:${r.reason}`);
  /** Waits until the orders reach the given states (cancel-on-disconnect runs after the socket closed). */
  const eventually = async (ids: string[], want: string) => {
    for (let i = 0; i < 250; i++) {
      if ((await statuses(ids)).every((s) => s === want)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await statuses(ids)).toEqual(ids.map(() => want));
  };

  async function session(name: string, extra: Field[] = []): Promise<{ c: RawFixClient; logon: RawMessage }> {
    const c = await RawFixClient.connect(port(), name.toUpperCase());
    clients.push(c);
    const logon = await c.logon(name, passwordOf(name), 30, { extra });
    return { c, logon };
  }

  beforeAll(async () => {
    t = await startTestApp('sqlite', { ...WIDE_BAND });
    admin = await adminClient(t.url);
    await Promise.all(['MCA', 'MCB'].map((s) => createProduct(t.url, admin.token, s)));
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await t?.dispose();
  });

  describe('OrderMassCancelRequest', () => {
    let trader: TradingClient;
    let c: RawFixClient;
    const rest = (symbol: string, side: 'BUY' | 'SELL' = 'BUY') => trader.place({ symbol, side, price: side === 'BUY' ? '90.00' : '110.00', quantity: 1 });
    const report = (clOrdId: string) => c.next((m) => m.type === MsgType.OrderMassCancelReport && m.get(Tag.ClOrdID) === clOrdId);

    beforeAll(async () => {
      trader = await newTrader(t.url, 'mctrader');
      ({ c } = await session('mctrader'));
    });

    it('by symbol (530=1): cancels that symbol\'s orders, reports 531=1 and 533, and one ExecutionReport per order', async () => {
      const a = [await rest('MCA'), await rest('MCA', 'SELL')];
      const b = await rest('MCB');
      c.send(MsgType.OrderMassCancelRequest, massCancel('mc-1', '1', [[Tag.Symbol, 'MCA']]));
      const r = await report('mc-1');
      expect([r.get(MASS_CANCEL_REQUEST_TYPE), r.get(MASS_CANCEL_RESPONSE), r.get(TOTAL_AFFECTED_ORDERS), r.get(Tag.Symbol), r.get(MASS_CANCEL_REJECT_REASON)]).toEqual(['1', '1', '2', 'MCA', undefined]);
      expect(r.get(Tag.OrderID)).toBeTruthy();
      expect(await statuses(a.map((o) => o.id))).toEqual(['CANCELED:MASS_CANCEL', 'CANCELED:MASS_CANCEL']);
      expect(await statuses([b.id])).toEqual(['NEW:null']);
      for (const o of a) {
        const er = await c.next((m) => m.type === MsgType.ExecutionReport && m.get(Tag.OrderID) === o.id && m.get(Tag.ExecType) === '4');
        expect([er.get(Tag.OrdStatus), er.get(Tag.ClOrdID), er.get(Tag.Text)]).toEqual(['4', o.clOrdId, 'Canceled by a cancel-all (mass cancel) request.']);
      }
    });

    it('all orders (530=7), of one side when Side (54) is given', async () => {
      const buys = [await rest('MCA'), await rest('MCB')];
      const sell = await rest('MCB', 'SELL');
      c.send(MsgType.OrderMassCancelRequest, massCancel('mc-2', '7', [[Tag.Side, '1']]));
      const r = await report('mc-2');
      // The MCB buy left from the first test, and the two new buys.
      expect([r.get(MASS_CANCEL_RESPONSE), r.get(TOTAL_AFFECTED_ORDERS), r.get(Tag.Side)]).toEqual(['7', '3', '1']);
      expect(await statuses(buys.map((o) => o.id))).toEqual(['CANCELED:MASS_CANCEL', 'CANCELED:MASS_CANCEL']);
      expect(await statuses([sell.id])).toEqual(['NEW:null']);
      c.send(MsgType.OrderMassCancelRequest, massCancel('mc-3', '7'));
      expect((await report('mc-3')).get(TOTAL_AFFECTED_ORDERS)).toBe('1');
      expect(await statuses([sell.id])).toEqual(['CANCELED:MASS_CANCEL']);
    });

    it.each([
      { what: 'a type the exchange does not offer (530=3)', fields: massCancel('mc-r1', '3'), reason: '0' },
      { what: 'a symbol request without Symbol', fields: massCancel('mc-r2', '1'), reason: '1' },
      { what: 'an unknown symbol', fields: massCancel('mc-r3', '1', [[Tag.Symbol, 'NOSUCH']]), reason: '1' },
      { what: 'a Side other than buy or sell', fields: massCancel('mc-r4', '7', [[Tag.Side, '5']]), reason: '99' },
    ])('refuses $what with 531=0 and 532, canceling nothing', async ({ fields, reason }) => {
      const o = await rest('MCA');
      c.send(MsgType.OrderMassCancelRequest, fields);
      const r = await report(String(fields[0]![1]));
      expect([r.get(MASS_CANCEL_RESPONSE), r.get(MASS_CANCEL_REJECT_REASON), r.get(TOTAL_AFFECTED_ORDERS)]).toEqual(['0', reason, '0']);
      expect(r.get(Tag.Text)).toBeTruthy();
      expect(await statuses([o.id])).toEqual(['NEW:null']);
      await ok(t.url, 'mutation { cancelAllOrders }', {}, trader.token);
    });

    it('answers a MassCancelRequestType outside FIX with a session Reject (373=5, 371=530)', async () => {
      const seq = c.send(MsgType.OrderMassCancelRequest, massCancel('mc-bad', '9'));
      const reject = await c.next((m) => m.type === MsgType.Reject && m.get(Tag.RefSeqNum) === String(seq));
      expect([reject.get(Tag.SessionRejectReason), reject.get(Tag.RefTagID)]).toEqual(['5', '530']);
    });
  });

  describe('cancel-on-disconnect', () => {
    it('Logon 8013=Y: the open orders are canceled with reason DISCONNECT when the connection drops', async () => {
      const u = await newTrader(t.url, 'codyes');
      const { c, logon } = await session('codyes', [[COD, 'Y']]);
      expect(logon.type).toBe(MsgType.Logon);
      const orders = [await u.place({ symbol: 'MCA', side: 'BUY', price: '91.00', quantity: 1 }), await u.place({ symbol: 'MCB', side: 'SELL', price: '111.00', quantity: 1 })];
      c.close();
      await eventually(orders.map((o) => o.id), 'CANCELED:DISCONNECT');
    });

    it('the account setting applies when the Logon says nothing, on a Logout too', async () => {
      const u = await newTrader(t.url, 'codacct');
      const me = await ok(t.url, 'mutation { setCancelOnDisconnect(enabled: true) { cancelOnDisconnect } }', {}, u.token);
      expect(me.setCancelOnDisconnect.cancelOnDisconnect).toBe(true);
      const { c } = await session('codacct');
      const o = await u.place({ symbol: 'MCA', side: 'BUY', price: '92.00', quantity: 1 });
      c.send(MsgType.Logout, []);
      await c.next((m) => m.type === MsgType.Logout);
      await eventually([o.id], 'CANCELED:DISCONNECT');
    });

    it('Logon 8013=N keeps the orders even when the account setting is on', async () => {
      const u = await newTrader(t.url, 'codno');
      await ok(t.url, 'mutation { setCancelOnDisconnect(enabled: true) { id } }', {}, u.token);
      const { c } = await session('codno', [[COD, 'N']]);
      const o = await u.place({ symbol: 'MCA', side: 'BUY', price: '93.00', quantity: 1 });
      c.close();
      // A later session's logon proves the first one has ended (one session per account).
      for (let i = 0; i < 100; i++) {
        const next = await session('codno', [[COD, 'N']]);
        if (next.logon.type === MsgType.Logon) {
          next.c.close();
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await statuses([o.id])).toEqual(['NEW:null']);
    });

    it('is off by default', async () => {
      const u = await newTrader(t.url, 'coddefault');
      const { c } = await session('coddefault');
      const o = await u.place({ symbol: 'MCA', side: 'BUY', price: '94.00', quantity: 1 });
      c.close();
      for (let i = 0; i < 100; i++) {
        const next = await session('coddefault');
        if (next.logon.type === MsgType.Logon) {
          next.c.close();
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await statuses([o.id])).toEqual(['NEW:null']);
    });

    it('refuses a Logon whose 8013 is neither Y nor N', async () => {
      await newTrader(t.url, 'codbad');
      const { logon } = await session('codbad', [[COD, 'X']]);
      expect([logon.type, logon.get(Tag.Text)]).toEqual([MsgType.Logout, 'CancelOrdersOnDisconnect (8013) must be Y or N.']);
    });
  });

  it('records FIX logons in the audit trail with channel fix', async () => {
    await newTrader(t.url, 'fixaudit');
    const { c } = await session('fixaudit');
    c.close();
    const bad = await RawFixClient.connect(port(), 'FIXAUDIT2');
    clients.push(bad);
    await bad.logon('fixaudit', 'wrong-password');
    const rows = await t.app.services.knex('audit_log').where({ action: 'LOGIN', actor: 'fixaudit' }).orderBy('id').select('outcome', 'details', 'address');
    expect(rows.map((r) => [r.outcome, JSON.parse(String(r.details)).channel])).toEqual([
      ['OK', 'fix'],
      ['BAD_CREDENTIALS', 'fix'],
    ]);
    expect(rows.every((r) => /127\.0\.0\.1/.test(String(r.address)))).toBe(true);
  });
});
