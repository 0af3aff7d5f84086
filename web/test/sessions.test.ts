/**
 * Trading sessions in a real browser against a server with TRADING_HOURS=enforce: the Quotes
 * ticket and the Orderbook show a product's session state, and an order outside hours is
 * refused with the server's message. The hours are set by the admin around the wall clock (in a
 * fixed-offset zone where it is about noon now), so the test holds at any time of day.
 * Screenshots: test-output/screenshots/session-*.png.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ADMIN, buildIfStale, gql, startServer, type RunningServer } from './support/app-server';
import { CHROMIUM_PATH, chromiumAvailable, launchChromium, SCREENSHOTS } from './support/browser';
import { IN_CI as CI } from '../../api/test/support/ci';

const available = chromiumAvailable();
const SET_HOURS = `mutation($s: String!, $h: TradingHoursInput) { setTradingHours(symbol: $s, hours: $h) { symbol session { open } } }`;

/** An IANA fixed-offset zone where the local time is now between 11:00 and 13:00 (Etc/GMT-N is UTC+N). */
function noonZone(): string {
  const offset = 12 - new Date().getUTCHours(); // −11 … +12
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

describe.skipIf(!available && !CI)('trading sessions in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  const zone = noonZone();

  beforeAll(async () => {
    if (!available) throw new Error(`Chromium not found at ${CHROMIUM_PATH}; CI does not skip browser tests.`);
    await buildIfStale();
    [server, browser] = await Promise.all([startServer({ TRADING_HOURS: 'enforce' }), launchChromium()]);
    const login = await gql<{ login: { token: string } }>(server.url, `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`, { u: ADMIN.username, p: ADMIN.password });
    const token = login.data!.login.token;
    const all = [1, 2, 3, 4, 5, 6, 7];
    const open = await gql(server.url, SET_HOURS, { s: 'MSFT', h: { timeZone: zone, opens: '09:00', closes: '15:00', days: all } }, token);
    const closed = await gql(server.url, SET_HOURS, { s: 'TSLA', h: { timeZone: zone, opens: '16:00', closes: '17:00', days: all } }, token);
    expect([open, closed]).toEqual([{ data: { setTradingHours: { symbol: 'MSFT', session: { open: true } } } }, { data: { setTradingHours: { symbol: 'TSLA', session: { open: false } } } }]);
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 820 }, baseURL: server.url });
    ctx.setDefaultTimeout(10_000);
    page = await ctx.newPage();
    await page.goto('/portfolio');
    await page.waitForURL((u) => u.pathname === '/login');
    await page.getByRole('button', { name: 'Sign up', exact: true }).first().click();
    await page.getByLabel('Username').fill(`sess_${Date.now().toString(36).slice(-5)}`);
    await page.getByLabel('Password').fill('correct-horse-battery');
    await page.getByRole('button', { name: 'Sign up', exact: true }).last().click();
    await page.waitForURL((u) => u.pathname === '/portfolio');
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const ticketSession = () => page.getByTestId('order-ticket').getByTestId('session-state');

  it('shows an open session with its close in the Quotes ticket', async () => {
    await page.goto('/quotes?symbol=MSFT');
    await page.locator('[data-testid="order-ticket"] .sym', { hasText: 'MSFT' }).waitFor();
    await expect.poll(() => ticketSession().innerText()).toMatch(new RegExp(`^Open\\s+closes \\w{3} 15:00 ${zone.replace('+', '\\+')} \\(in \\d+h \\d\\dm\\)$`));
    await page.screenshot({ path: join(SCREENSHOTS, 'session-ticket-open.png'), fullPage: true });
  });

  it('shows a closed session with its next open, and the refusal of an order outside hours', async () => {
    await page.goto('/quotes?symbol=TSLA');
    await page.locator('[data-testid="order-ticket"] .sym', { hasText: 'TSLA' }).waitFor();
    await expect.poll(() => ticketSession().innerText()).toMatch(/^Closed\s+opens \w{3} 16:00 /);
    const ticket = page.getByTestId('order-ticket');
    await ticket.getByLabel('Quantity').fill('5');
    await ticket.getByLabel('Limit price').fill('200.00');
    await ticket.getByRole('button', { name: /^Buy / }).click();
    await expect.poll(() => ticket.locator('.form-error').innerText()).toMatch(/TSLA trades 16:00–17:00 .*the market is closed until/);
    await page.screenshot({ path: join(SCREENSHOTS, 'session-ticket-closed.png'), fullPage: true });
  });

  it('shows the session on the Orderbook for the chosen symbol', async () => {
    await page.goto('/orderbook?symbol=TSLA');
    // The toolbar's badge (the Orderbook's own ticket shows the same session too).
    const badge = page.locator('.orderbook-page .toolbar [data-testid="session-state"]');
    await expect.poll(() => badge.innerText()).toMatch(/^Closed\s+opens/);
    await page.goto('/orderbook?symbol=MSFT');
    await expect.poll(() => badge.innerText()).toMatch(/^Open\s+closes/);
    await page.screenshot({ path: join(SCREENSHOTS, 'session-orderbook.png'), fullPage: true });
  });
});
