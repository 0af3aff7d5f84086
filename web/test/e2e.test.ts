/**
 * The web client in a real browser (Debian's Chromium via playwright-core) against the real
 * server on SQLite: sign-up and guards, the ticket's validation, a fill seen live on both
 * traders' screens, amend and cancel, role changes, the GraphQL IDE and the reconnect banner.
 * Screenshots of every screen go to test-output/screenshots/.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN, buildIfStale, gql, startServer, type RunningServer } from './support/app-server';
import { CHROMIUM_PATH, chromiumAvailable, launchChromium, SCREENSHOTS } from './support/browser';

const CI = process.env.CI === 'true';
const available = chromiumAvailable();
if (!available && !CI) {
  console.warn(`web browser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
}

const VIEWPORT = { width: 1366, height: 820 };
const POLL = { timeout: 15_000, interval: 100 };

describe.skipIf(!available && !CI)('web client in Chromium against the real server', () => {
  let server: RunningServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let alice: Page;
  let bob: Page;
  let admin: Page;
  const suffix = Date.now().toString(36).slice(-5);
  const names = { alice: `alice_${suffix}`, bob: `bob_${suffix}` };
  const password = 'correct-horse-battery';

  beforeAll(async () => {
    if (!available) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) or set CHROMIUM_PATH; CI does not skip browser tests.`);
    buildIfStale();
    server = await startServer();
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  async function newPage(): Promise<Page> {
    const ctx = await browser.newContext({ viewport: VIEWPORT, baseURL: server.url });
    contexts.push(ctx);
    ctx.setDefaultTimeout(10_000);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.error('[browser error]', e.message));
    return page;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
  const token = (page: Page) => page.evaluate(() => (JSON.parse(localStorage.getItem('trading-app.session') ?? '{}') as { token?: string }).token ?? '');
  /** Marks the document: if the marker survives, the page was not reloaded. */
  const mark = (page: Page) => page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
  const notReloaded = (page: Page) => page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true);
  const live = (page: Page) => page.locator('.live-dot.connected').waitFor({ timeout: 15_000 });

  async function openTicket(page: Page, symbol: string) {
    await nav(page).getByRole('link', { name: 'Quotes' }).click();
    await page.getByLabel('Search symbol or name').fill(symbol);
    const row = page.locator(`tr[data-symbol="${symbol}"]`);
    await row.waitFor();
    await row.getByRole('button', { name: `Trade ${symbol}` }).click();
    await page.locator('[data-testid="order-ticket"] .sym', { hasText: symbol }).waitFor();
  }

  async function placeLimit(page: Page, side: 'Buy' | 'Sell', quantity: string, price: string) {
    const ticket = page.getByTestId('order-ticket');
    await ticket.getByText(side, { exact: true }).click();
    await ticket.getByText('Limit', { exact: true }).click();
    await ticket.getByLabel('Quantity').fill(quantity);
    await ticket.getByLabel('Limit price').fill(price);
    await ticket.getByRole('button', { name: new RegExp(`^${side} `) }).click();
  }

  it('shows Home and Login before login and sends other screens to Login', async () => {
    const anon = await newPage();
    await anon.goto('/');
    await anon.locator('[data-testid="market-watch"] tr[data-symbol="AAPL"]').waitFor();
    expect(await nav(anon).getByRole('link').allTextContents()).toEqual(['Home']);
    await shot(anon, 'home');

    await anon.goto('/orderbook');
    await anon.waitForURL(/\/login\?redirect=(%2F|\/)orderbook$/);
    await anon.getByLabel('Username').fill('nobody_here');
    await anon.getByLabel('Password').fill('wrong-password');
    await anon.getByRole('button', { name: 'Log in', exact: true }).last().click();
    await expect.poll(() => anon.locator('#login-password-error').textContent(), POLL).toContain('Wrong username or password');
    await shot(anon, 'login');
  });

  it('signs two traders up and takes each where they were going', async () => {
    alice = await newPage();
    bob = await newPage();
    for (const [page, name] of [
      [alice, names.alice],
      [bob, names.bob],
    ] as const) {
      await page.goto('/portfolio');
      await page.waitForURL(/\/login\?redirect=(%2F|\/)portfolio$/);
      await page.getByRole('button', { name: 'Sign up', exact: true }).first().click();
      await page.getByLabel('Username').fill(name);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign up', exact: true }).last().click();
      await page.waitForURL(/\/portfolio$/);
      await expect.poll(() => page.getByTestId('whoami').textContent(), POLL).toContain(name);
      expect(await nav(page).getByRole('link').allTextContents()).toEqual(['Home', 'Quotes', 'Portfolio', 'Orderbook']);
    }
  });

  it('checks the ticket like the server and shows server errors beside the field', async () => {
    await openTicket(alice, 'AAPL');
    const ticket = alice.getByTestId('order-ticket');
    await placeLimit(alice, 'Buy', '10', '150.005');
    await expect.poll(() => ticket.locator('#ticket-price-error').textContent(), POLL).toContain('multiple of the tick size 0.01');
    await placeLimit(alice, 'Buy', '0', '150.00');
    await expect.poll(() => ticket.locator('#ticket-quantity-error').textContent(), POLL).toContain('positive whole number');

    // A rule only the server knows at that moment: the product was halted after the page loaded.
    await openTicket(alice, 'TSLA');
    const adminLogin = await gql<{ login: { token: string } }>(server.url, 'mutation($u:String!,$p:String!){login(username:$u,password:$p){token}}', { u: ADMIN.username, p: ADMIN.password });
    const adminToken = adminLogin.data?.login.token ?? '';
    expect(adminToken).not.toBe('');
    await gql(server.url, 'mutation{haltTrading(symbol:"TSLA"){status}}', {}, adminToken);
    await placeLimit(alice, 'Buy', '10', '200.00');
    await expect.poll(() => ticket.locator('#ticket-symbol-error').textContent(), POLL).toContain('halted');
    await gql(server.url, 'mutation{resumeTrading(symbol:"TSLA"){status}}', {}, adminToken);
    const { data } = await gql<{ myOrders: { nodes: unknown[] } }>(server.url, '{myOrders{nodes{id}}}', {}, await token(alice));
    expect(data?.myOrders.nodes).toEqual([]);
  });

  it('shows a fill on both traders’ screens without a reload', async () => {
    // Alice rests a sell.
    await openTicket(alice, 'AAPL');
    await placeLimit(alice, 'Sell', '100', '150.00');
    await expect.poll(() => alice.getByTestId('ticket-result').textContent(), POLL).toMatch(/Sell 100 AAPL @ 150\.00: new/);
    await shot(alice, 'quotes');

    // Alice watches her Portfolio; Bob watches the AAPL book and then buys from Quotes in a second tab.
    await nav(alice).getByRole('link', { name: 'Portfolio' }).click();
    const aliceOrder = alice.locator('[data-testid="my-orders"] tbody tr').first();
    await expect.poll(() => aliceOrder.getAttribute('data-status'), POLL).toBe('NEW');
    await live(alice);
    await mark(alice);

    await nav(bob).getByRole('link', { name: 'Orderbook' }).click();
    await bob.waitForURL(/\/orderbook/);
    const ask = bob.locator('[data-testid="book-ladder"] tr[data-side="ask"][data-price="150.00"] [data-col="size"]');
    await expect.poll(() => ask.textContent(), POLL).toBe('100');
    await live(bob);
    await mark(bob);

    const bobTicket = await bob.context().newPage();
    await bobTicket.goto('/quotes');
    await openTicket(bobTicket, 'AAPL');
    await placeLimit(bobTicket, 'Buy', '40', '150.00');
    await expect.poll(() => bobTicket.getByTestId('ticket-result').textContent(), POLL).toMatch(/Buy 40 AAPL @ 150\.00: filled/);

    // Alice: the order row and the holding change, and a toast says what happened.
    await expect.poll(() => aliceOrder.getAttribute('data-status'), POLL).toBe('PARTIALLY_FILLED');
    expect(await aliceOrder.locator('[data-col="filled"]').textContent()).toBe('40');
    expect(await aliceOrder.locator('[data-col="remaining"]').textContent()).toBe('60');
    await expect.poll(() => alice.getByTestId('toasts').textContent(), POLL).toContain('Sold 40 AAPL @ 150.00');
    await expect.poll(() => alice.locator('[data-testid="holdings"] tr[data-symbol="AAPL"] [data-col="quantity"]').textContent(), POLL).toBe('-40');
    expect(await notReloaded(alice)).toBe(true);
    await shot(alice, 'portfolio');

    // Bob: the ladder and the tape move; his own fill is toasted on whatever screen he is on.
    await expect.poll(() => ask.textContent(), POLL).toBe('60');
    await expect.poll(() => bob.locator('[data-testid="trade-tape"] tbody tr').first().textContent(), POLL).toMatch(/150\.00\s*40/);
    await expect.poll(() => bob.getByTestId('toasts').textContent(), POLL).toContain('Bought 40 AAPL @ 150.00');
    await expect.poll(() => bob.locator('[data-testid="all-orders"] tbody tr').count(), POLL).toBe(2);
    expect(await notReloaded(bob)).toBe(true);
    await bob.getByTestId('price-chart').locator('canvas').first().waitFor();
    await shot(bob, 'orderbook');
    await bobTicket.close();

    await nav(bob).getByRole('link', { name: 'Portfolio' }).click();
    await expect.poll(() => bob.locator('[data-testid="holdings"] tr[data-symbol="AAPL"] [data-col="quantity"]').textContent(), POLL).toBe('40');
    expect(await bob.locator('[data-testid="my-orders"] tbody tr').first().getAttribute('data-status')).toBe('FILLED');
  });

  it('amends and cancels an open order from the Portfolio', async () => {
    const row = alice.locator('[data-testid="my-orders"] tbody tr').first();
    await row.getByRole('button', { name: /^Amend order/ }).click();
    const panel = alice.getByTestId('amend-panel');
    await panel.getByLabel('New total quantity').fill('30');
    await panel.getByRole('button', { name: 'Amend', exact: true }).click();
    await expect.poll(() => panel.locator('#amend-quantity-error').textContent(), POLL).toContain('above the 40 already filled');
    await panel.getByLabel('New total quantity').fill('80');
    await panel.getByRole('button', { name: 'Amend', exact: true }).click();
    await expect.poll(() => row.locator('[data-col="remaining"]').textContent(), POLL).toBe('40');

    await row.getByRole('button', { name: /^Cancel order/ }).click();
    await expect.poll(() => row.getAttribute('data-status'), POLL).toBe('CANCELED');
    expect(await row.getByRole('button').count()).toBe(0);
  });

  it('lets an admin change a role, which the user sees on their next action; traders are refused', async () => {
    admin = await newPage();
    await admin.goto('/login');
    await admin.getByLabel('Username').fill(ADMIN.username);
    await admin.getByLabel('Password').fill(ADMIN.password);
    await admin.getByRole('button', { name: 'Log in', exact: true }).last().click();
    await admin.waitForURL(/\/portfolio$/);
    await nav(admin).getByRole('link', { name: 'Manage Accounts' }).click();
    const bobRow = admin.locator(`tr[data-username="${names.bob}"]`);
    await bobRow.waitFor();
    await shot(admin, 'accounts');

    // Bob cannot open Manage Accounts yet, and the server refuses its mutation to a trader.
    expect(await nav(bob).getByRole('link', { name: 'Manage Accounts' }).count()).toBe(0);
    const refused = await gql(server.url, 'mutation($id:ID!){setUserRole(userId:$id,role:ADMIN){role}}', { id: '1' }, await token(alice));
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await alice.goto('/accounts');
    await alice.waitForURL((u) => u.pathname === '/');
    await expect.poll(() => alice.getByTestId('toasts').textContent(), POLL).toContain('Manage Accounts is for administrators');

    await bobRow.getByLabel(`Role of ${names.bob}`).selectOption('ADMIN');
    await expect.poll(() => admin.getByTestId('toasts').textContent(), POLL).toContain(`${names.bob}: role set to Admin`);

    // Bob's next navigation picks up the new role.
    await nav(bob).getByRole('link', { name: 'Quotes' }).click();
    await nav(bob).getByRole('link', { name: 'Manage Accounts' }).waitFor({ timeout: 10_000 });
    await nav(bob).getByRole('link', { name: 'Manage Accounts' }).click();
    await bob.locator(`tr[data-username="${names.alice}"]`).waitFor();
    expect(await nav(alice).getByRole('link', { name: 'Manage Accounts' }).count()).toBe(0);

    // The membership date can be edited too.
    const aliceRow = admin.locator(`tr[data-username="${names.alice}"]`);
    await aliceRow.getByLabel(`Membership start of ${names.alice}`).fill('2024-01-15');
    await aliceRow.getByRole('button', { name: /^Save/ }).click();
    await expect.poll(() => admin.getByTestId('toasts').textContent(), POLL).toContain(`${names.alice}: member since 2024-01-15`);
  });

  it('serves the GraphQL IDE from the build, running queries with nothing fetched from elsewhere', async () => {
    const page = await newPage();
    const foreign: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) foreign.push(r.url());
    });
    const query = '{ products(query: "AAPL", first: 1) { nodes { symbol name quote { last } } } }';
    await page.goto(`/graphiql.html?query=${encodeURIComponent(query)}`);
    await page.locator('.graphiql-container').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: /Execute query/ }).click();
    await expect.poll(() => page.locator('.result-window').textContent(), POLL).toContain('Apple Inc.');
    await shot(page, 'graphiql');
    expect(foreign).toEqual([]);
  });

  it('shows the reconnect banner while the server is away, and recovers', async () => {
    const page = alice;
    await nav(page).getByRole('link', { name: 'Portfolio' }).click();
    await live(page);
    const { port } = new URL(server.url);
    const database = server.databaseUrl;
    await server.stop({ keepDatabase: true, crash: true });
    await page.getByTestId('reconnect-banner').waitFor({ timeout: 20_000 });
    await shot(page, 'reconnecting');
    server = await startServer({ PORT: port, DATABASE_URL: database });
    await page.getByTestId('reconnect-banner').waitFor({ state: 'detached', timeout: 30_000 });
    await live(page);
  });
});
