import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { widenCatalogBands } from '../support/trading.js';
import { CANCEL, ok, PLACE, trader, passwordOf } from '../support/gql.js';
import { serverSubscribed, subscribe, wsClient } from '../support/ws.js';
import { FixClient } from './support/fix-client.js';
import {
  BUY,
  DAY,
  EXEC,
  IOC,
  MARKET,
  message,
  MsgType,
  report,
  SELL,
  sendCancel,
  sendOrder,
  sendReplace,
  STATUS,
  Tag,
  tags,
} from './support/orders.js';

const EXEC_SUB = `subscription { executionReports { execType lastQty lastPx order { id clOrdId status cumQty } } }`;

describe('FIX gateway order entry (sqlite)', () => {
  let t: TestApp;
  let c: FixClient;
  let gqlSeller: { token: string; id: string };
  let gqlBuyer: { token: string; id: string };
  let fixToken: string;
  const ws: Client[] = [];
  const execSubscriptions = async () => (await t.app.services.metrics.wsSubscriptions.get()).values.find((v) => v.labels.topic === 'executionReports')?.value ?? 0;

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    await widenCatalogBands(t.app);
    [fixToken, gqlSeller, gqlBuyer] = await Promise.all([trader(t.url, 'fixtrader').then((u) => u.token), trader(t.url, 'gqlseller'), trader(t.url, 'gqlbuyer')]);
    c = await FixClient.connect({ port: t.app.fixPort!, username: 'fixtrader', password: passwordOf('fixtrader'), senderCompId: 'FIXTRADER' });
  });
  afterAll(async () => {
    await Promise.all(ws.map((w) => w.dispose()));
    await c?.logout();
    await t?.dispose();
  });

  describe('logon', () => {
    it('refuses a wrong password with a Logout that says why', async () => {
      const { client, ready } = FixClient.open({ port: t.app.fixPort!, username: 'fixtrader', password: 'not-the-password', senderCompId: 'WRONGPW' });
      await expect(ready).rejects.toThrow('Wrong username or password.');
      expect(client.all((m) => m.msgType === MsgType.Logon)).toHaveLength(0);
    });

    it('refuses a second session of an account that has one, and the first carries on', async () => {
      const { ready } = FixClient.open({ port: t.app.fixPort!, username: 'fixtrader', password: passwordOf('fixtrader'), senderCompId: 'FIXTRADER2' });
      await expect(ready).rejects.toThrow('The account already has a FIX session.');
      sendOrder(c, 'still-alive', { symbol: 'VOO', price: '500.00' });
      await report(c, 'still-alive', EXEC.NEW);
    });

    it('refuses a Logon addressed to another CompID', async () => {
      const { ready } = FixClient.open({ port: t.app.fixPort!, username: 'fixtrader', password: 'x', senderCompId: 'LOST', targetCompId: 'SOMEONE' });
      await expect(ready).rejects.toThrow('TargetCompID must be TRADINGAPP.');
    });

    it('counts logged-on sessions in the fix sessions gauge', async () => {
      expect((await t.app.services.metrics.fixSessions.get()).values[0]?.value).toBe(1);
    });
  });

  describe('orders crossing GraphQL orders', () => {
    it('reports partial and full fills of a resting FIX order filled by GraphQL buyers, which GraphQL subscribers hear too', async () => {
      const sub = wsClient(t.url, fixToken);
      ws.push(sub);
      const reports = subscribe(sub, EXEC_SUB);
      await serverSubscribed(execSubscriptions, 1);

      sendOrder(c, 'sell-1', { side: SELL, qty: 100, price: '140.00' });
      const accepted = await report(c, 'sell-1', EXEC.NEW);
      expect(tags(accepted, Tag.OrdStatus, Tag.LeavesQty, Tag.CumQty, Tag.Price, Tag.Symbol, Tag.Side)).toEqual({
        [Tag.OrdStatus]: STATUS.NEW,
        [Tag.LeavesQty]: '100',
        [Tag.CumQty]: '0',
        [Tag.Price]: '140.00',
        [Tag.Symbol]: 'AAPL',
        [Tag.Side]: SELL,
      });
      const orderId = accepted.get(Tag.OrderID)!;

      const buy = await ok(t.url, PLACE, { i: { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price: '141.00', quantity: 40 } }, gqlBuyer.token);
      expect(buy.placeOrder).toMatchObject({ status: 'FILLED', cumQty: 40 });
      const partial = await c.next((m) => m.get(Tag.ClOrdID) === 'sell-1' && m.get(Tag.ExecType) === EXEC.TRADE);
      expect(tags(partial, Tag.OrderID, Tag.OrdStatus, Tag.LastQty, Tag.LastPx, Tag.CumQty, Tag.LeavesQty, Tag.AvgPx)).toEqual({
        [Tag.OrderID]: orderId,
        [Tag.OrdStatus]: STATUS.PARTIAL,
        [Tag.LastQty]: '40',
        [Tag.LastPx]: '140.00',
        [Tag.CumQty]: '40',
        [Tag.LeavesQty]: '60',
        [Tag.AvgPx]: '140.000000',
      });
      const heard = await reports.waitUntil((r) => r.execType === 'TRADE' && r.order.clOrdId === 'sell-1');
      expect(heard).toMatchObject({ lastQty: 40, lastPx: '140.00', order: { id: orderId, status: 'PARTIALLY_FILLED', cumQty: 40 } });

      await ok(t.url, PLACE, { i: { symbol: 'AAPL', side: 'BUY', type: 'MARKET', quantity: 60 } }, gqlBuyer.token);
      const filled = await c.next((m) => m.get(Tag.ClOrdID) === 'sell-1' && m.get(Tag.OrdStatus) === STATUS.FILLED);
      expect(tags(filled, Tag.ExecType, Tag.LastQty, Tag.CumQty, Tag.LeavesQty)).toEqual({
        [Tag.ExecType]: EXEC.TRADE,
        [Tag.LastQty]: '60',
        [Tag.CumQty]: '100',
        [Tag.LeavesQty]: '0',
      });
      // Each state change is reported once: NEW and two fills.
      expect(c.all((m) => m.msgType === MsgType.ExecutionReport && m.get(Tag.ClOrdID) === 'sell-1').map((m) => m.get(Tag.ExecType))).toEqual([
        EXEC.NEW,
        EXEC.TRADE,
        EXEC.TRADE,
      ]);
    });

    it('fills a FIX order that takes a resting GraphQL order, and the GraphQL owner hears it', async () => {
      const seller = wsClient(t.url, gqlSeller.token);
      ws.push(seller);
      const heard = subscribe(seller, EXEC_SUB);
      await serverSubscribed(execSubscriptions, 2);
      const resting = await ok(t.url, PLACE, { i: { symbol: 'MSFT', side: 'SELL', type: 'LIMIT', price: '236.00', quantity: 30 } }, gqlSeller.token);
      sendOrder(c, 'take-1', { symbol: 'MSFT', side: BUY, qty: 50, price: '237.00', tif: IOC });
      const trade = await report(c, 'take-1', EXEC.TRADE);
      expect(tags(trade, Tag.LastQty, Tag.LastPx, Tag.OrdStatus)).toEqual({ [Tag.LastQty]: '30', [Tag.LastPx]: '236.00', [Tag.OrdStatus]: STATUS.PARTIAL });
      const rest = await report(c, 'take-1', EXEC.CANCELED);
      expect(tags(rest, Tag.OrdStatus, Tag.CumQty, Tag.LeavesQty)).toEqual({ [Tag.OrdStatus]: STATUS.CANCELED, [Tag.CumQty]: '30', [Tag.LeavesQty]: '0' });
      await heard.waitUntil((r) => r.execType === 'TRADE' && r.order.id === resting.placeOrder.id && r.order.status === 'FILLED');
    });
  });

  describe('cancel', () => {
    it('cancels with a new ClOrdID, reported with ClOrdID and OrigClOrdID', async () => {
      sendOrder(c, 'c-1', { symbol: 'TSLA', price: '300.00', qty: 10 });
      await report(c, 'c-1', EXEC.NEW);
      sendCancel(c, 'c-1-cxl', 'c-1', { symbol: 'TSLA' });
      const canceled = await report(c, 'c-1-cxl', EXEC.CANCELED);
      expect(tags(canceled, Tag.OrigClOrdID, Tag.OrdStatus, Tag.LeavesQty)).toEqual({ [Tag.OrigClOrdID]: 'c-1', [Tag.OrdStatus]: STATUS.CANCELED, [Tag.LeavesQty]: '0' });
    });

    it('answers a cancel of a canceled order with OrderCancelReject (too late)', async () => {
      sendCancel(c, 'c-1-again', 'c-1', { symbol: 'TSLA' });
      const rejected = await message(c, MsgType.OrderCancelReject, Tag.ClOrdID, 'c-1-again');
      expect(tags(rejected, Tag.OrigClOrdID, Tag.OrdStatus, Tag.CxlRejResponseTo, Tag.CxlRejReason)).toEqual({
        [Tag.OrigClOrdID]: 'c-1',
        [Tag.OrdStatus]: STATUS.CANCELED,
        [Tag.CxlRejResponseTo]: '1',
        [Tag.CxlRejReason]: '0',
      });
    });

    it('answers a cancel of an unknown order with OrderCancelReject (unknown order)', async () => {
      sendCancel(c, 'c-2-cxl', 'never-sent');
      const rejected = await message(c, MsgType.OrderCancelReject, Tag.ClOrdID, 'c-2-cxl');
      expect(tags(rejected, Tag.OrderID, Tag.CxlRejReason)).toEqual({ [Tag.OrderID]: 'NONE', [Tag.CxlRejReason]: '1' });
    });

    it('reports a GraphQL cancel of a FIX order under the order ClOrdID', async () => {
      sendOrder(c, 'c-3', { symbol: 'TSLA', price: '301.00', qty: 5 });
      const accepted = await report(c, 'c-3', EXEC.NEW);
      const canceled = await ok(t.url, CANCEL, { id: accepted.get(Tag.OrderID) }, fixToken);
      expect(canceled.cancelOrder.status).toBe('CANCELED');
      const r = await report(c, 'c-3', EXEC.CANCELED);
      expect(r.get(Tag.OrigClOrdID)).toBeUndefined();
    });
  });

  describe('replace', () => {
    it('replaces quantity and price, and later reports carry the new ClOrdID', async () => {
      sendOrder(c, 'r-1', { symbol: 'SPY', side: BUY, price: '360.00', qty: 50 });
      await report(c, 'r-1', EXEC.NEW);
      sendReplace(c, 'r-1-a', 'r-1', { symbol: 'SPY', side: BUY, qty: 40, price: '361.00' });
      const replaced = await report(c, 'r-1-a', EXEC.REPLACED);
      expect(tags(replaced, Tag.OrigClOrdID, Tag.OrderQty, Tag.Price, Tag.LeavesQty)).toEqual({
        [Tag.OrigClOrdID]: 'r-1',
        [Tag.OrderQty]: '40',
        [Tag.Price]: '361.00',
        [Tag.LeavesQty]: '40',
      });
      await ok(t.url, PLACE, { i: { symbol: 'SPY', side: 'SELL', type: 'LIMIT', price: '361.00', quantity: 15 } }, gqlSeller.token);
      const fill = await report(c, 'r-1-a', EXEC.TRADE);
      expect(tags(fill, Tag.LastQty, Tag.CumQty, Tag.LeavesQty)).toEqual({ [Tag.LastQty]: '15', [Tag.CumQty]: '15', [Tag.LeavesQty]: '25' });
    });

    it('resolves the replaced ClOrdID for a second replace and a cancel', async () => {
      sendReplace(c, 'r-1-b', 'r-1-a', { symbol: 'SPY', side: BUY, qty: 30, price: '361.00' });
      expect((await report(c, 'r-1-b', EXEC.REPLACED)).get(Tag.OrigClOrdID)).toBe('r-1-a');
      sendCancel(c, 'r-1-c', 'r-1-b', { symbol: 'SPY', side: BUY });
      expect(tags(await report(c, 'r-1-c', EXEC.CANCELED), Tag.OrigClOrdID, Tag.CumQty)).toEqual({ [Tag.OrigClOrdID]: 'r-1-b', [Tag.CumQty]: '15' });
    });

    it('refuses a replace below the filled quantity and one reusing a ClOrdID', async () => {
      sendOrder(c, 'r-2', { symbol: 'SPY', side: SELL, price: '370.00', qty: 20 });
      await report(c, 'r-2', EXEC.NEW);
      await ok(t.url, PLACE, { i: { symbol: 'SPY', side: 'BUY', type: 'LIMIT', price: '370.00', quantity: 12 } }, gqlBuyer.token);
      await report(c, 'r-2', EXEC.TRADE);
      sendReplace(c, 'r-2-a', 'r-2', { symbol: 'SPY', qty: 10, price: '370.00' });
      const below = await message(c, MsgType.OrderCancelReject, Tag.ClOrdID, 'r-2-a');
      expect(tags(below, Tag.CxlRejResponseTo, Tag.OrdStatus)).toEqual({ [Tag.CxlRejResponseTo]: '2', [Tag.OrdStatus]: STATUS.PARTIAL });
      expect(below.get(Tag.Text)).toContain('filled');
      sendReplace(c, 'r-1', 'r-2', { symbol: 'SPY', qty: 30, price: '370.00' });
      const reused = await message(c, MsgType.OrderCancelReject, Tag.ClOrdID, 'r-1');
      expect(reused.get(Tag.CxlRejReason)).toBe('6');
    });
  });

  describe('status', () => {
    it('answers OrderStatusRequest with ExecType I and the current state', async () => {
      c.send(MsgType.OrderStatusRequest, { ClOrdID: 'r-2', OrdStatusReqID: 'q-1', Instrument: { Symbol: 'SPY' }, Side: SELL });
      const status = await c.next((m) => m.get(Tag.OrdStatusReqID) === 'q-1');
      expect(tags(status, Tag.ExecType, Tag.OrdStatus, Tag.CumQty, Tag.LeavesQty, Tag.AvgPx)).toEqual({
        [Tag.ExecType]: EXEC.STATUS,
        [Tag.OrdStatus]: STATUS.PARTIAL,
        [Tag.CumQty]: '12',
        [Tag.LeavesQty]: '8',
        [Tag.AvgPx]: '370.000000',
      });
    });

    it('answers a status request for an unknown order with OrdStatus rejected and unknown order', async () => {
      c.send(MsgType.OrderStatusRequest, { ClOrdID: 'nope', OrdStatusReqID: 'q-2', Instrument: { Symbol: 'SPY' }, Side: SELL });
      const status = await c.next((m) => m.get(Tag.OrdStatusReqID) === 'q-2');
      expect(tags(status, Tag.ExecType, Tag.OrdStatus, Tag.OrdRejReason, Tag.OrderID)).toEqual({
        [Tag.ExecType]: EXEC.STATUS,
        [Tag.OrdStatus]: STATUS.REJECTED,
        [Tag.OrdRejReason]: '5',
        [Tag.OrderID]: 'NONE',
      });
    });
  });

  describe('duplicate ClOrdID', () => {
    it('answers a retry with the existing order and never makes a second one', async () => {
      sendOrder(c, 'dup-1', { symbol: 'QQQ', price: '250.00', qty: 7 });
      const first = await report(c, 'dup-1', EXEC.NEW);
      sendOrder(c, 'dup-1', { symbol: 'QQQ', price: '250.00', qty: 7 });
      const again = await report(c, 'dup-1', EXEC.STATUS);
      expect(tags(again, Tag.OrderID, Tag.OrdStatus)).toEqual({ [Tag.OrderID]: first.get(Tag.OrderID), [Tag.OrdStatus]: STATUS.NEW });
      const rows = await t.app.services.knex('orders').where({ cl_ord_id: 'dup-1' }).count({ n: '*' });
      expect(Number(rows[0]!.n)).toBe(1);
    });

    it('rejects a ClOrdID reused for a different order', async () => {
      sendOrder(c, 'dup-1', { symbol: 'QQQ', side: BUY, price: '250.00', qty: 7 });
      const refused = await report(c, 'dup-1', EXEC.REJECTED);
      expect(tags(refused, Tag.OrdRejReason, Tag.OrderID)).toEqual({ [Tag.OrdRejReason]: '6', [Tag.OrderID]: 'NONE' });
    });
  });

  describe('validation (the same as GraphQL)', () => {
    it.each([
      { what: 'an unknown symbol', fields: { symbol: 'NOPE' }, ordRejReason: '1', text: 'No product NOPE.' },
      { what: 'a price off the tick', fields: { price: '140.005' }, ordRejReason: '99', text: 'tick size' },
      { what: 'a zero quantity', fields: { qty: 0 }, ordRejReason: '13', text: 'positive' },
      { what: 'a fractional quantity', fields: { qty: '1.5' }, ordRejReason: '13', text: 'positive' },
      { what: 'a negative quantity', fields: { qty: -5 }, ordRejReason: '13', text: 'positive' },
      { what: 'a market order that is DAY', fields: { type: MARKET, tif: DAY }, ordRejReason: '11', text: 'IOC or FOK' },
      { what: 'a stop order', fields: { type: '3', extra: { StopPx: '130.00' } }, ordRejReason: '11', text: 'OrdType 3' },
      { what: 'a sell short', fields: { side: '5' }, ordRejReason: '11', text: 'Side 5' },
      { what: 'an order for another account', fields: { extra: { Account: 'someone-else' } }, ordRejReason: '15', text: 'Account' },
    ])('rejects $what with an ExecutionReport (OrdRejReason $ordRejReason)', async ({ fields, ordRejReason, text }) => {
      const clOrdId = `bad-${ordRejReason}-${Math.random().toString(36).slice(2, 8)}`;
      sendOrder(c, clOrdId, fields);
      const refused = await report(c, clOrdId, EXEC.REJECTED);
      expect(tags(refused, Tag.OrdStatus, Tag.OrdRejReason, Tag.OrderID)).toEqual({ [Tag.OrdStatus]: STATUS.REJECTED, [Tag.OrdRejReason]: ordRejReason, [Tag.OrderID]: 'NONE' });
      expect(refused.get(Tag.Text)).toContain(text);
    });

    it('reports an engine refusal (post-only that would trade) as a rejected order', async () => {
      sendOrder(c, 'po-rest', { symbol: 'VOO', side: SELL, price: '330.00', qty: 1 });
      await report(c, 'po-rest', EXEC.NEW);
      sendOrder(c, 'po-1', { symbol: 'VOO', side: BUY, price: '331.00', qty: 1, extra: { ExecInst: '6' } });
      const refused = await report(c, 'po-1', EXEC.REJECTED);
      expect(refused.get(Tag.OrderID)).not.toBe('NONE');
      expect(refused.get(Tag.Text)).toContain('post-only');
    });
  });

  describe('malformed and unsupported messages', () => {
    it.each([
      { what: 'without Side', override: { Side: undefined }, reason: '1', refTag: undefined },
      { what: 'with a Side outside FIX', override: { Side: 'Z' }, reason: '5', refTag: String(Tag.Side) },
      { what: 'with a non-numeric OrderQty', override: { OrderQtyData: { OrderQty: 'ten' } }, reason: '6', refTag: String(Tag.OrderQty) },
    ])('answers a NewOrderSingle $what with a session Reject (reason $reason) and keeps the session', async ({ override, reason, refTag }) => {
      const clOrdId = `malformed-${reason}`;
      c.send(MsgType.NewOrderSingle, {
        ClOrdID: clOrdId,
        Instrument: { Symbol: 'AAPL' },
        Side: SELL,
        TransactTime: new Date(),
        OrderQtyData: { OrderQty: 1 },
        OrdType: '2',
        Price: '150.00',
        ...override,
      });
      const seq = c.lastSentSeqNum();
      const reject = await message(c, MsgType.Reject, Tag.RefSeqNum, String(seq));
      expect(tags(reject, Tag.SessionRejectReason, Tag.RefMsgType)).toEqual({ [Tag.SessionRejectReason]: reason, [Tag.RefMsgType]: MsgType.NewOrderSingle });
      if (refTag) expect(reject.get(Tag.RefTagID)).toBe(refTag);
      sendOrder(c, `${clOrdId}-then`, { symbol: 'VOO', price: '501.00', qty: 1 });
      await report(c, `${clOrdId}-then`, EXEC.NEW);
    });

    it('answers an unsupported message type with a Business Message Reject and keeps the session', async () => {
      c.send(MsgType.QuoteRequest, { QuoteReqID: 'qr-1', QuotReqGrp: [{ Instrument: { Symbol: 'AAPL' } }] });
      const seq = c.lastSentSeqNum();
      const reject = await message(c, MsgType.BusinessMessageReject, Tag.RefSeqNum, String(seq));
      expect(tags(reject, Tag.RefMsgType, Tag.BusinessRejectReason)).toEqual({ [Tag.RefMsgType]: MsgType.QuoteRequest, [Tag.BusinessRejectReason]: '3' });
      sendOrder(c, 'after-j', { symbol: 'VOO', price: '502.00', qty: 1 });
      await report(c, 'after-j', EXEC.NEW);
    });

    it('answers a TestRequest with a Heartbeat carrying its TestReqID', async () => {
      c.send(MsgType.TestRequest, { TestReqID: 'ping-42' });
      await message(c, MsgType.Heartbeat, Tag.TestReqID, 'ping-42');
    });
  });
});
