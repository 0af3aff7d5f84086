/**
 * Kill switches, the halt control and the audit trail in a real browser (Debian's Chromium)
 * against the real server on SQLite: a trader cancels one symbol's orders then all of them after
 * confirming; an admin halts and resumes a product from Quotes and reads the audit trail in
 * Manage Accounts. Screenshots go to test-output/screenshots/.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN, buildIfStale, gql, startServer, type RunningServer } from './support/app-server';
import { CHROMIUM_PATH, chromiumAvailable, launchChromium, SCREENSHOTS } from './support/browser';
import { IN_CI as CI } from '../../api/test/support/ci';

const available = chromiumAvailable();
const VIEWPORT = { width: 1366, height: 820 };
const POLL = { timeout: 15_000, interval: 100 };
const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id status } }';

describe.skipIf(!available && !CI)('kill switches and audit trail in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const name = `ks_${Date.now().toString(36).slice(-5)}`;
  const password = 'correct-horse-battery';
  let traderToken = '';

  beforeAll(async () => {
    if (!available) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) or set CHROMIUM_PATH; CI does not skip browser tests.`);
    await buildIfStale();
    // Orders far from the catalog references: the price band still applies, 100× wide.
    [server, browser] = await Promise.all([startServer({ RISK_PRICE_BAND_PERCENT: '10000' }), launchChromium()]);
  }, 240_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });
  afterEach(() => {
    expect(pageErrors.splice(0), 'uncaught errors in the browser').toEqual([]);
  });

  async function newPage(): Promise<Page> {
    const ctx = await browser.newContext({ viewport: VIEWPORT, baseURL: server.url });
    contexts.push(ctx);
    ctx.setDefaultTimeout(10_000);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
    return page;
  }
  const shot = (page: Page, file: string) => page.screenshot({ path: join(SCREENSHOTS, `${file}.png`), fullPage: true });
  const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
  async function logIn(page: Page, username: string, pw: string) {
    await page.goto('/login');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(pw);
    await page.getByRole('button', { name: 'Log in', exact: true }).last().click();
    await page.waitForURL(/\/portfolio$/);
  }
  const openCount = async () => {
    const r = await gql<{ myOrders: { nodes: unknown[] } }>(server.url, '{ myOrders(statuses: [NEW, PARTIALLY_FILLED]) { nodes { id } } }', {}, traderToken);
    return r.data?.myOrders.nodes.length ?? -1;
  };

  it('lets a trader cancel one symbol’s orders, then all of them, each after confirming', async () => {
    const signUp = await gql<{ signUp: { token: string } }>(server.url, 'mutation($u: String!, $p: String!) { signUp(username: $u, password: $p) { token } }', { u: name, p: password });
    traderToken = signUp.data?.signUp.token ?? '';
    for (const [symbol, price] of [['AAPL', '140.00'], ['AAPL', '141.00'], ['MSFT', '300.00']] as const) {
      const r = await gql(server.url, PLACE, { i: { symbol, side: 'BUY', type: 'LIMIT', price, quantity: 5 } }, traderToken);
      expect(r.errors).toBeUndefined();
    }
    const page = await newPage();
    await logIn(page, name, password);
    const panel = page.getByTestId('cancel-all');
    await page.locator('[data-testid="my-orders"] tbody tr[data-status="NEW"]').first().waitFor();

    // By symbol: the confirmation names it; keeping the orders changes nothing.
    await panel.getByTestId('cancel-all-symbol').selectOption('AAPL');
    await panel.getByTestId('cancel-all-button').click();
    await expect.poll(() => panel.getByTestId('cancel-all-confirm').textContent(), POLL).toContain('Cancel your open AAPL orders?');
    await shot(page, 'portfolio-cancel-all-confirm');
    await panel.getByRole('button', { name: 'Keep them' }).click();
    expect(await openCount()).toBe(3);
    await panel.getByTestId('cancel-all-button').click();
    await panel.getByTestId('cancel-all-yes').click();
    await expect.poll(() => page.getByTestId('toasts').textContent(), POLL).toContain('2 orders canceled (AAPL)');
    expect(await openCount()).toBe(1);

    // All symbols.
    await panel.getByTestId('cancel-all-symbol').selectOption('');
    await panel.getByTestId('cancel-all-button').click();
    await expect.poll(() => panel.getByTestId('cancel-all-confirm').textContent(), POLL).toContain('Cancel all your open orders?');
    await panel.getByTestId('cancel-all-yes').click();
    await expect.poll(() => page.getByTestId('toasts').textContent(), POLL).toContain('1 order canceled');
    expect(await openCount()).toBe(0);
    await expect.poll(() => page.locator('[data-testid="my-orders"] tbody tr[data-status="NEW"]').count(), POLL).toBe(0);
    await shot(page, 'portfolio-cancel-all-done');
  });

  it('lets an admin halt and resume a product from Quotes, after confirming; traders see no such control', async () => {
    const trader = await newPage();
    await logIn(trader, name, password);
    await nav(trader).getByRole('link', { name: 'Quotes' }).click();
    await trader.getByLabel('Search symbol or name').fill('TSLA');
    await trader.locator('tr[data-symbol="TSLA"]').getByRole('button', { name: 'Trade TSLA' }).click();
    await trader.getByTestId('order-ticket').waitFor();
    expect(await trader.getByTestId('halt-control').count()).toBe(0);

    const admin = await newPage();
    await logIn(admin, ADMIN.username, ADMIN.password);
    await nav(admin).getByRole('link', { name: 'Quotes' }).click();
    await admin.getByLabel('Search symbol or name').fill('TSLA');
    const row = admin.locator('tr[data-symbol="TSLA"]');
    await row.waitFor();
    await row.getByRole('button', { name: 'Trade TSLA' }).click();
    const control = admin.getByTestId('halt-control');
    await expect.poll(() => control.locator('h2').textContent(), POLL).toContain('TSLA');
    await control.getByTestId('halt-toggle').click();
    await expect.poll(() => control.textContent(), POLL).toContain('Halt trading in TSLA?');
    await control.getByTestId('halt-confirm').click();
    await expect.poll(() => control.getByTestId('halt-status').textContent(), POLL).toBe('Halted');
    await expect.poll(() => row.textContent(), POLL).toContain('Halted');
    const refused = await gql(server.url, PLACE, { i: { symbol: 'TSLA', side: 'BUY', type: 'LIMIT', price: '200.00', quantity: 1 } }, traderToken);
    expect(refused.errors?.[0]?.extensions?.reason).toBe('SYMBOL_HALTED');
    await shot(admin, 'quotes-halted');

    await control.getByTestId('halt-toggle').click();
    await control.getByTestId('halt-confirm').click();
    await expect.poll(() => control.getByTestId('halt-status').textContent(), POLL).toBe('Trading');
    const placed = await gql(server.url, PLACE, { i: { symbol: 'TSLA', side: 'BUY', type: 'LIMIT', price: '200.00', quantity: 1 } }, traderToken);
    expect(placed.errors).toBeUndefined();
  });

  it('shows the admin the audit trail in Manage Accounts, filtered by action and actor', async () => {
    const admin = await newPage();
    await logIn(admin, ADMIN.username, ADMIN.password);
    await nav(admin).getByRole('link', { name: 'Manage Accounts' }).click();
    const audit = admin.getByTestId('audit-log');
    await audit.locator('tr[data-action="RESUME"]').first().waitFor();
    await audit.getByTestId('audit-action').selectOption('HALT');
    await expect.poll(() => audit.locator('tbody tr[data-action]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action'))), POLL).toEqual(['HALT']);
    expect(await audit.locator('tbody tr[data-action="HALT"]').textContent()).toContain('TSLA');
    await audit.getByTestId('audit-action').selectOption('LOGIN');
    await audit.getByTestId('audit-actor').fill(name);
    await expect.poll(() => audit.locator('tbody tr[data-action="LOGIN"]').count(), POLL).toBe(2);
    expect(await audit.locator('tbody tr[data-action="LOGIN"]').first().textContent()).toContain(name);
    await audit.getByTestId('audit-action').selectOption('');
    await audit.getByTestId('audit-actor').fill('');
    await audit.locator('tr[data-action="HALT"]').first().waitFor();
    await shot(admin, 'accounts-audit-trail');
  });
});
