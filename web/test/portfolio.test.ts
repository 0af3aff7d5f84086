/**
 * The Portfolio and the chart in Chromium against the real server (SQLite): holdings with their
 * currency and realised P&L, totals per currency (never added across), the fills blotter paged
 * and exported as CSV, the orders exported as CSV; on the Orderbook, server candles in four
 * frames with volume bars, the OHLC readout following the pointer, and a live trade moving the
 * chart. Screenshots go to test-output/screenshots/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildIfStale, gql, startServer, type RunningServer } from './support/app-server';
import { CHROMIUM_PATH, chromiumAvailable, launchChromium, SCREENSHOTS } from './support/browser';
import { IN_CI as CI } from '../../api/test/support/ci';

/** The server's SQLite driver (a dependency of the API), to write trade history into its database. */
interface Sqlite {
  prepare(sql: string): { run(...values: unknown[]): unknown };
  transaction(fn: () => void): () => void;
  close(): void;
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => Sqlite;

const available = chromiumAvailable();
if (!available && !CI) console.warn(`portfolio browser tests skipped: no Chromium at ${CHROMIUM_PATH}`);

const POLL = { timeout: 15_000, interval: 100 };
const PLACE = `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id status } }`;
const SIGN_UP = `mutation($u: String!, $p: String!) { signUp(username: $u, password: $p) { token } }`;

describe.skipIf(!available && !CI)('portfolio, blotter and chart in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let aliceToken = '';
  let bobToken = '';
  const suffix = Date.now().toString(36).slice(-5);
  const password = 'correct-horse-battery';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!available) throw new Error(`Chromium not found at ${CHROMIUM_PATH}; CI does not skip browser tests.`);
    await buildIfStale();
    // Fills far from the catalog references (AAPL at 100.00 and 110.00): the price band still applies, 100× wide.
    [server, browser] = await Promise.all([startServer({ RISK_PRICE_BAND_PERCENT: '10000' }), launchChromium()]);
    context = await browser.newContext({ viewport: { width: 1366, height: 900 }, baseURL: server.url, acceptDownloads: true });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  }, 300_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  afterEach(() => {
    expect(pageErrors.splice(0), 'uncaught errors in the browser').toEqual([]);
  });

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const place = async (token: string, i: Record<string, unknown>) => {
    const r = await gql<{ placeOrder: { status: string } }>(server.url, PLACE, { i: { type: 'LIMIT', ...i } }, token);
    if (!r.data) throw new Error(JSON.stringify(r.errors));
    return r.data.placeOrder;
  };
  const cross = async (symbol: string, buyer: string, seller: string, price: string, quantity: number) => {
    await place(seller, { symbol, side: 'SELL', price, quantity });
    expect((await place(buyer, { symbol, side: 'BUY', price, quantity })).status).toBe('FILLED');
  };
  const cells = (row: string) => page.locator(row).locator('td, th').allTextContents();
  async function download(button: string): Promise<string> {
    const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId(button).click()]);
    return readFileSync((await d.path())!, 'utf8');
  }

  it('shows holdings in their currencies with realised P&L, and totals per currency', async () => {
    await page.goto('/portfolio');
    await page.waitForURL(/\/login/);
    await page.getByRole('button', { name: 'Sign up', exact: true }).first().click();
    await page.getByLabel('Username').fill(`pfa_${suffix}`);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign up', exact: true }).last().click();
    await page.waitForURL((u) => u.pathname === '/portfolio');
    aliceToken = await page.evaluate(() => (JSON.parse(localStorage.getItem('trading-app.session') ?? '{}') as { token?: string }).token ?? '');
    bobToken = (await gql<{ signUp: { token: string } }>(server.url, SIGN_UP, { u: `pfb_${suffix}`, p: password })).data!.signUp.token;

    // USD: buy 10 @ 100, sell 4 @ 110 (realised 40), then 26 one-lot buys @ 110 (fills for a second page).
    await cross('AAPL', aliceToken, bobToken, '100.00', 10);
    await cross('AAPL', bobToken, aliceToken, '110.00', 4);
    for (let i = 0; i < 26; i++) await cross('AAPL', aliceToken, bobToken, '110.00', 1);
    // HKD: a long in Tencent.
    await cross('0700.HK', aliceToken, bobToken, '247.20', 100);

    const holdings = page.getByTestId('holdings');
    await expect.poll(() => holdings.locator('tbody tr').count(), POLL).toBe(2);
    // 32 AAPL at avg (6 × 100 + 26 × 110) / 32 = 108.125, last 110: unrealised 60, realised 40.
    await expect.poll(() => cells('[data-testid="holdings"] tr[data-symbol="AAPL"]'), POLL).toEqual(['AAPL', 'USD', '32', '108.1250', '110.00', '3,520.00', '+60.00', '+40.00']);
    expect(await cells('[data-testid="holdings"] tr[data-symbol="0700.HK"]')).toEqual(['0700.HK', 'HKD', '100', '247.2000', '247.20', '24,720.00', '0.00', '0.00']);
    const totals = page.getByTestId('currency-totals');
    await expect.poll(() => totals.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-currency'))), POLL).toEqual(['HKD', 'USD']);
    await expect.poll(() => cells('[data-testid="currency-totals"] tr[data-currency="USD"]'), POLL).toEqual(['USD', '1', '3,520.00', '+60.00', '+40.00']);
    expect(await cells('[data-testid="currency-totals"] tr[data-currency="HKD"]')).toEqual(['HKD', '1', '24,720.00', '0.00', '0.00']);
    expect(await page.getByText('Average-cost method').count()).toBe(1);
    await shot('portfolio-currencies');
  });

  it('pages the fills blotter and exports every fill and order as CSV', async () => {
    const fills = page.getByTestId('fills');
    await expect.poll(() => fills.locator('tbody tr').count(), POLL).toBe(25);
    expect(await fills.locator('tbody tr').first().locator('td').allTextContents()).toEqual([expect.any(String), '0700.HK', 'Buy', '100', '247.20', 'HKD', expect.stringMatching(/^\d+$/), 'Taker']);
    await page.getByRole('navigation', { name: 'Fills pages' }).getByRole('button', { name: 'Next ›' }).click();
    await expect.poll(() => fills.locator('tbody tr').count(), POLL).toBe(4);
    await shot('portfolio-fills-page-2');

    const csv = await download('export-fills');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('Time,Symbol,Currency,Side,Quantity,Price,Order ID,Trade ID,Exec ID,Liquidity');
    expect(lines).toHaveLength(1 + 29);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z,0700\.HK,HKD,BUY,100,247\.20,\d+,\d+,0700\.HK:\d+:B,TAKER$/);
    expect(lines.filter((l) => l.includes(',AAPL,USD,SELL,4,110.00,'))).toHaveLength(1);

    const orders = await download('export-orders');
    const orderLines = orders.trimEnd().split('\r\n');
    expect(orderLines[0]).toBe('Created,Updated,Order ID,ClOrdID,Symbol,Side,Type,Time in force,Price,Quantity,Filled,Remaining,Avg price,Status,Reason');
    expect(orderLines).toHaveLength(1 + 29);
    expect(orderLines.every((l, i) => i === 0 || /,(FILLED),$/.test(l))).toBe(true);
  });

  it('draws server candles with volume in four frames, follows the pointer with the OHLC readout, and moves with a live trade', async () => {
    // History for MSFT: ten one-minute buckets of 2026-01-05 10:00–10:09 UTC, two trades each.
    const db = new Database(server.databaseUrl.slice('sqlite:'.length));
    const insert = db.prepare(
      `insert into executions (exec_id, trade_id, symbol, order_id, account_id, side, maker, price_ticks, qty, counter_order_id, created_at) values (?, ?, 'MSFT', ?, 1, ?, ?, ?, ?, ?, ?)`,
    );
    const base = Date.UTC(2026, 0, 5, 10, 0, 0);
    db.transaction(() => {
      for (let m = 0; m < 10; m++) {
        for (let k = 0; k < 2; k++) {
          const id = -(100 - (m * 2 + k));
          const px = 20000 + m * 100 + k * 50;
          for (const side of ['BUY', 'SELL']) insert.run(`HIST:${id}:${side[0]}`, id, 900_000 + m * 2 + k, side, side === 'SELL' ? 1 : 0, px, 10 + m, 800_000, base + m * 60_000 + k * 20_000);
        }
      }
    })();
    db.close();

    await page.goto('/orderbook?symbol=MSFT');
    const readout = page.getByTestId('ohlc-readout');
    // The last 1-minute candle: 10:09, 209.00 then 209.50, 2 × 19 shares.
    await expect.poll(() => readout.textContent(), POLL).toMatch(/O\s*209\.00\s*H\s*209\.50\s*L\s*209\.00\s*C\s*209\.50\s*Vol\s*38/);
    await expect.poll(() => page.getByTestId('price-chart').getAttribute('aria-label'), POLL).toBe('MSFT price chart, 10 1m candles with volume');
    await page.getByTestId('price-chart').locator('canvas').first().waitFor();
    await shot('chart-1m');

    // Hovering the left of the chart shows an earlier candle.
    const box = (await page.getByTestId('price-chart').boundingBox())!;
    const seen = new Set<string>();
    for (let x = box.x + 10; x < box.x + box.width - 70; x += 12) {
      await page.mouse.move(x, box.y + box.height / 2);
      seen.add((await readout.textContent()) ?? '');
    }
    expect([...seen].some((t) => /O\s*200\.00\s*H\s*200\.50\s*L\s*200\.00\s*C\s*200\.50\s*Vol\s*20/.test(t))).toBe(true);
    expect(seen.size).toBeGreaterThan(5);
    await page.mouse.move(box.x + box.width / 3, box.y + box.height / 2);
    await shot('chart-hover');
    await page.mouse.move(0, 0);

    await page.getByText('5m', { exact: true }).click();
    await expect.poll(() => page.getByTestId('price-chart').getAttribute('aria-label'), POLL).toBe('MSFT price chart, 2 5m candles with volume');
    await expect.poll(() => readout.textContent(), POLL).toMatch(/O\s*205\.00\s*H\s*209\.50\s*L\s*205\.00\s*C\s*209\.50\s*Vol\s*170/);
    await page.getByText('1h', { exact: true }).click();
    await expect.poll(() => readout.textContent(), POLL).toMatch(/O\s*200\.00\s*H\s*209\.50\s*L\s*200\.00\s*C\s*209\.50\s*Vol\s*290/);
    await page.getByText('1d', { exact: true }).click();
    await expect.poll(() => page.getByTestId('price-chart').getAttribute('aria-label'), POLL).toBe('MSFT price chart, 1 1d candles with volume');
    await expect.poll(() => readout.textContent(), POLL).toMatch(/2026-01-05\s*O\s*200\.00.*Vol\s*290/);
    await shot('chart-1d');

    // A live trade now opens today's candle, folded in from the tape without a refetch.
    await page.locator('.live-dot.connected').waitFor({ timeout: 15_000 });
    await cross('MSFT', aliceToken, bobToken, '215.00', 7);
    await expect.poll(() => readout.textContent(), POLL).toMatch(/O\s*215\.00\s*H\s*215\.00\s*L\s*215\.00\s*C\s*215\.00\s*Vol\s*7/);
    await expect.poll(() => page.getByTestId('price-chart').getAttribute('aria-label'), POLL).toBe('MSFT price chart, 2 1d candles with volume');
    await shot('chart-live-trade');
  });
});
