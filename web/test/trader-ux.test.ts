/**
 * Issue #19 in a real browser (Debian's Chromium via playwright-core) against the real server on
 * SQLite: what a trader asked for after a day in the browser. Narrow windows, search, the URL
 * keeping filters and pages, trading from the book, the chart after a symbol change, the book's
 * status while the connection is down, a disabled account, locale formats. Each case leaves a
 * screenshot in test-output/screenshots/ (ux-*.png).
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN, buildIfStale, gql, startServer, type RunningServer } from './support/app-server';
import { CHROMIUM_PATH, chromiumAvailable, launchChromium, SCREENSHOTS } from './support/browser';
import { IN_CI as CI } from '../../api/test/support/ci';

const available = chromiumAvailable();
if (!available && !CI) console.warn(`web browser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`);

const WIDE = { width: 1366, height: 820 };
const POLL = { timeout: 15_000, interval: 100 };

interface Account {
  readonly token: string;
  readonly expiresAt: string;
  readonly user: { id: string; username: string; role: string; disabled: boolean; memberSince: string };
}

const SESSION_FIELDS = 'token expiresAt user { id username role disabled memberSince }';

describe.skipIf(!available && !CI)('trader experience (#19) in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const suffix = Date.now().toString(36).slice(-5);
  let admin: Account;
  let ann: Account;
  let ben: Account;

  const signUp = async (name: string): Promise<Account> => {
    const r = await gql<{ signUp: Account }>(server.url, `mutation($u:String!,$p:String!){signUp(username:$u,password:$p){${SESSION_FIELDS}}}`, {
      u: `${name}_${suffix}`,
      p: 'correct-horse-battery',
    });
    if (!r.data) throw new Error(JSON.stringify(r.errors));
    return r.data.signUp;
  };
  const api = async <T = Record<string, unknown>>(query: string, variables: Record<string, unknown>, who: Account): Promise<T> => {
    const r = await gql<T>(server.url, query, variables, who.token);
    if (!r.data || r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data;
  };
  const place = (who: Account, input: Record<string, unknown>) =>
    api<{ placeOrder: { id: string; status: string } }>('mutation($i:PlaceOrderInput!){placeOrder(input:$i){id status}}', { i: input }, who);

  beforeAll(async () => {
    if (!available) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) or set CHROMIUM_PATH; CI does not skip browser tests.`);
    await buildIfStale();
    [server, browser] = await Promise.all([startServer(), launchChromium()]);
    const login = await gql<{ login: Account }>(server.url, `mutation($u:String!,$p:String!){login(username:$u,password:$p){${SESSION_FIELDS}}}`, {
      u: ADMIN.username,
      p: ADMIN.password,
    });
    admin = login.data!.login;
    [ann, ben] = [await signUp('ann'), await signUp('ben')];
    // Listings that show the ranking: a leveraged ETP whose symbol sorts before AAPL, and AAP.
    for (const [symbol, name, type] of [
      ['3LAP.L', 'GraniteShares 3x Long Apple Daily ETP', 'ETF'],
      ['AAP', 'Advance Auto Parts, Inc.', 'STOCK'],
    ]) {
      await api('mutation($i:CreateProductInput!){createProduct(input:$i){symbol}}', { i: { symbol, name, type } }, admin);
    }
  }, 240_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  afterEach(() => {
    const seen = pageErrors.splice(0);
    expect(seen, 'uncaught errors in the browser').toEqual([]);
  });

  /** A tab logged in as `who` (the session the app keeps in localStorage), or anonymous. */
  async function open(path: string, who?: Account, options: { viewport?: { width: number; height: number }; locale?: string } = {}): Promise<Page> {
    const ctx = await browser.newContext({ viewport: options.viewport ?? WIDE, baseURL: server.url, locale: options.locale ?? 'en-US' });
    contexts.push(ctx);
    ctx.setDefaultTimeout(10_000);
    if (who) await ctx.addInitScript((s) => localStorage.setItem('trading-app.session', s), JSON.stringify({ token: who.token, expiresAt: who.expiresAt, user: who.user }));
    const page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
    await page.goto(path);
    return page;
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `ux-${name}.png`), fullPage: true });
  const rows = (page: Page) => page.locator('.quotes-table tbody tr[data-symbol]');
  const symbolsShown = (page: Page) => rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-symbol')));
  const settled = (page: Page) => expect.poll(() => page.locator('.quotes-table').getAttribute('aria-busy'), POLL).toBe('false');
  const param = (page: Page, name: string) => new URL(page.url()).searchParams.getAll(name);

  it('ranks search results and answers every page size the Quotes screen offers', async () => {
    const page = await open('/quotes', ann);
    await page.getByLabel('Search symbol or name').fill('apple');
    await expect.poll(() => symbolsShown(page), POLL).toEqual(['AAPL', '3LAP.L']);
    await page.getByLabel('Search symbol or name').fill('AAP');
    await expect.poll(() => symbolsShown(page), POLL).toEqual(['AAP', 'AAPL']);
    await page.getByLabel('Search symbol or name').fill('inc');
    await page.getByLabel('Rows', { exact: true }).selectOption('100');
    await expect.poll(() => param(page, 'rows'), POLL).toEqual(['100']);
    await expect.poll(() => symbolsShown(page), POLL).toEqual(['AAP', 'AAPL', 'BRK-B', 'TSLA']);
    await settled(page);
    expect(await page.getByRole('alert').count()).toBe(0);
    await shot(page, 'search-ranked-rows-100');
  });

  it('shows the total result count and the page count on Quotes', async () => {
    const page = await open('/quotes?rows=10', ann);
    await expect.poll(() => page.getByTestId('result-count').textContent(), POLL).toBe('13 products');
    expect(await page.locator('.pager-page').textContent()).toBe('Page 1 of 2');
    await page.getByRole('button', { name: 'Next ›' }).click();
    await expect.poll(() => page.locator('.pager-page').textContent(), POLL).toBe('Page 2 of 2');
    await page.getByLabel('Type', { exact: true }).selectOption('ETF');
    await expect.poll(() => page.getByTestId('result-count').textContent(), POLL).toBe('4 products');
    expect(await page.locator('.pager-page').textContent()).toBe('Page 1 of 1');
    await shot(page, 'quotes-count');
  });

  it('keeps the ticket where the trader put it while a search is typed', async () => {
    const page = await open('/quotes', ann);
    await rows(page).first().waitFor();
    // Nothing chosen: no ticket jumps to the first row of each search.
    await page.getByTestId('ticket-placeholder').waitFor();
    await page.getByLabel('Search symbol or name').fill('micro');
    await expect.poll(() => symbolsShown(page), POLL).toEqual(['MSFT']);
    expect(await page.getByTestId('order-ticket').count()).toBe(0);
    await page.getByRole('button', { name: 'Trade MSFT' }).click();
    await page.locator('[data-testid="order-ticket"] .sym', { hasText: 'MSFT' }).waitFor();
    await page.getByLabel('Search symbol or name').fill('AAP');
    await expect.poll(() => symbolsShown(page), POLL).toEqual(['AAP', 'AAPL']);
    expect(await page.locator('[data-testid="order-ticket"] .sym').textContent()).toBe('MSFT');
    await shot(page, 'quotes-ticket-stays');
  });

  it('keeps Quotes filters and pages in the URL: reload keeps them, back and forward walk them', async () => {
    const page = await open('/quotes', ann);
    await rows(page).first().waitFor();
    await page.getByLabel('Rows', { exact: true }).selectOption('10');
    await expect.poll(() => rows(page).count(), POLL).toBe(10);
    const first = await symbolsShown(page);
    await page.getByRole('button', { name: 'Next ›' }).click();
    await expect.poll(() => page.locator('.pager-page').textContent(), POLL).toMatch(/^Page 2/);
    await expect.poll(() => symbolsShown(page), POLL).toEqual(['SPY', 'TSLA', 'VOO']);
    const second = await symbolsShown(page);
    await page.reload();
    await expect.poll(() => symbolsShown(page), POLL).toEqual(second);
    expect(await page.getByLabel('Rows', { exact: true }).inputValue()).toBe('10');
    await page.goBack();
    await expect.poll(() => symbolsShown(page), POLL).toEqual(first);
    await page.goForward();
    await expect.poll(() => symbolsShown(page), POLL).toEqual(second);
    await page.getByLabel('Search symbol or name').fill('tesla');
    await expect.poll(() => symbolsShown(page), POLL).toEqual(['TSLA']);
    await page.reload();
    expect(await page.getByLabel('Search symbol or name').inputValue()).toBe('tesla');
    await expect.poll(() => symbolsShown(page), POLL).toEqual(['TSLA']);
    await page.goBack();
    await expect.poll(() => page.getByLabel('Search symbol or name').inputValue(), POLL).toBe('');
    await expect.poll(() => symbolsShown(page), POLL).toEqual(second);
    await shot(page, 'quotes-url-state');
  });

  it('shows an untraded product’s Last the same way on Home and on Quotes', async () => {
    const home = await open('/', ann);
    const homeLast = home.locator('[data-testid="market-watch"] tr[data-symbol="MSFT"] [data-col="last"]');
    await homeLast.waitFor();
    const quotes = await open('/quotes?q=MSFT', ann);
    const quotesLast = quotes.locator('tr[data-symbol="MSFT"] [data-col="last"]');
    await quotesLast.waitFor();
    await expect.poll(async () => (await quotesLast.textContent())!.trim(), POLL).not.toBe('');
    const [h, q] = [(await homeLast.textContent())!.trim(), (await quotesLast.textContent())!.trim()];
    expect(h).toBe(q);
    expect(h).toMatch(/^ref\s+236\.27$/);
    await shot(home, 'last-home');
    await shot(quotes, 'last-quotes');
  });

  it('suggests symbols on the Orderbook and keeps its choices in the URL', async () => {
    const page = await open('/orderbook', ann);
    await page.getByTestId('book-ladder').waitFor();
    const input = page.getByLabel('Symbol', { exact: true });
    await input.fill('micro');
    await expect.poll(() => page.locator('#book-symbol-suggestions option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)), POLL).toEqual(['MSFT']);
    await input.press('Enter');
    await expect.poll(() => param(page, 'symbol'), POLL).toEqual(['MSFT']);
    await page.getByRole('heading', { name: 'Order book · MSFT' }).waitFor();
    await page.getByLabel('Depth').selectOption('20');
    await page.getByLabel('Only MSFT').check();
    await page.getByLabel('Filled', { exact: true }).check();
    await page.getByLabel('Sort').selectOption('QUANTITY_DESC');
    await expect.poll(() => page.url(), POLL).toMatch(/sort=QUANTITY_DESC/);
    await page.reload();
    expect(await page.getByLabel('Depth').inputValue()).toBe('20');
    expect(await page.getByLabel('Only MSFT').isChecked()).toBe(true);
    expect(await page.getByLabel('Filled', { exact: true }).isChecked()).toBe(true);
    expect(await page.getByLabel('Sort').inputValue()).toBe('QUANTITY_DESC');
    await page.goBack();
    await expect.poll(() => page.getByLabel('Sort').inputValue(), POLL).toBe('TIME_DESC');
    expect(await page.getByLabel('Filled', { exact: true }).isChecked()).toBe(true);
    await page.goBack();
    await expect.poll(() => page.getByLabel('Filled', { exact: true }).isChecked(), POLL).toBe(false);
    await page.goBack();
    await expect.poll(() => page.getByLabel('Only MSFT').isChecked(), POLL).toBe(false);
    await page.goBack();
    await expect.poll(() => page.getByLabel('Depth').inputValue(), POLL).toBe('10');
    await page.goBack();
    await page.getByRole('heading', { name: 'Order book · AAPL' }).waitFor();
    await shot(page, 'orderbook-url-state');
  });

  it('trades from the book: a level fills the ticket, and the trader’s own orders are marked', async () => {
    await place(ann, { symbol: 'AAPL', side: 'SELL', type: 'LIMIT', price: '150.00', quantity: 100, timeInForce: 'GTC' });
    await place(ann, { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price: '149.50', quantity: 30, timeInForce: 'DAY' });
    const annPage = await open('/orderbook?symbol=AAPL', ann);
    const annAsk = annPage.locator('[data-testid="book-ladder"] tr[data-side="ask"][data-price="150.00"]');
    await expect.poll(() => annAsk.getAttribute('data-mine'), POLL).toBe('100');
    expect(await annAsk.locator('[data-col="mine"]').textContent()).toBe('me 100');

    const benPage = await open('/orderbook?symbol=AAPL', ben);
    const benAsk = benPage.locator('[data-testid="book-ladder"] tr[data-side="ask"][data-price="150.00"]');
    await benAsk.waitFor();
    expect(await benAsk.getAttribute('data-mine')).toBeNull();
    const ticket = benPage.getByTestId('order-ticket');
    await benPage.getByRole('button', { name: 'Buy at 150.00' }).click();
    await expect.poll(() => ticket.getByLabel('Limit price').inputValue(), POLL).toBe('150.00');
    expect(await ticket.getByLabel('Buy').isChecked()).toBe(true);
    // A bid level: the side that trades against it is Sell.
    await benPage.locator('[data-testid="book-ladder"] tr[data-side="bid"][data-price="149.50"]').click();
    await expect.poll(() => ticket.getByLabel('Limit price').inputValue(), POLL).toBe('149.50');
    expect(await ticket.getByLabel('Sell').isChecked()).toBe(true);
    await benPage.getByRole('button', { name: 'Buy at 150.00' }).click();
    await ticket.getByLabel('Quantity').fill('40');
    await shot(benPage, 'book-ticket-filled');
    await ticket.getByRole('button', { name: 'Buy AAPL' }).click();
    await expect.poll(() => ticket.getByTestId('ticket-result').textContent(), POLL).toMatch(/Buy 40 AAPL @ 150\.00: filled/);
    // Ann's mark follows her order's remaining quantity.
    await expect.poll(() => annAsk.getAttribute('data-mine'), POLL).toBe('60');
    await shot(annPage, 'book-own-orders');
  });

  it('dates GTC orders in the order lists', async () => {
    const page = await open('/portfolio', ann);
    const gtc = page.locator('[data-testid="my-orders"] tbody tr').filter({ hasText: 'GTC' }).first();
    const day = page.locator('[data-testid="my-orders"] tbody tr').filter({ hasText: 'Day' }).first();
    const year = String(new Date().getFullYear());
    await expect.poll(() => gtc.locator('[data-col="time"]').textContent(), POLL).toContain(year);
    expect(await day.locator('[data-col="time"]').textContent()).toMatch(/^\d\d:\d\d:\d\d$/);
    await shot(page, 'gtc-dates');
  });

  it('draws each symbol on its own price scale, with the time axis and first candle unobstructed', async () => {
    const page = await open('/orderbook?symbol=AAPL', ann);
    const chart = page.getByTestId('price-chart');
    await chart.locator('canvas').first().waitFor();
    await expect.poll(() => chart.getAttribute('data-price-range'), POLL).toMatch(/^\d/);
    const [from, to] = (await chart.getAttribute('data-price-range'))!.split('..').map(Number);
    expect(from! < 150 && to! > 150).toBe(true);
    // No logo over the candles; the credit the licence asks for is a link below the chart.
    expect(await chart.locator('a').count()).toBe(0);
    expect(await page.getByRole('link', { name: /TradingView/ }).count()).toBe(1);
    await shot(page, 'chart-aapl');
    await page.getByLabel('Symbol', { exact: true }).fill('MSFT');
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => chart.getAttribute('data-symbol'), POLL).toBe('MSFT');
    await page.getByText('No trades to chart yet.').waitFor();
    expect(await chart.getAttribute('data-price-range')).toBe('');
    // The chart stays inside its panel (the time axis' last label is not cut off by the page).
    const [host, panel] = await Promise.all([chart.boundingBox(), page.locator('.chart-panel').boundingBox()]);
    expect(host!.x + host!.width).toBeLessThanOrEqual(panel!.x + panel!.width);
    await shot(page, 'chart-msft-after-aapl');
  });

  it('formats numbers and times in the viewer’s locale, exactly', async () => {
    const page = await open('/orderbook?symbol=AAPL', ann, { locale: 'de-DE' });
    const ask = page.locator('[data-testid="book-ladder"] tr[data-side="ask"][data-price="150.00"]');
    await expect.poll(() => ask.getByRole('button').textContent(), POLL).toContain('150,00');
    await expect.poll(() => page.locator('.last-trade .num').textContent(), POLL).toBe('150,00');
    const quotes = await open('/quotes?q=AAPL&symbol=AAPL', ann, { locale: 'de-DE' });
    await expect.poll(() => quotes.locator('tr[data-symbol="AAPL"] [data-col="last"]').textContent(), POLL).toContain('150,00');
    // The ticket's input stays in the API's plain form.
    await expect.poll(() => quotes.getByTestId('order-ticket').getByLabel('Limit price').inputValue(), POLL).toMatch(/^\d+\.\d\d$/);
    await shot(page, 'locale-de');
  });

  const screens: [string, string, () => Account | undefined][] = [
    ['home', '/', () => ann],
    ['login', '/login', () => undefined],
    ['quotes', '/quotes?q=AAPL&symbol=AAPL', () => ann],
    ['portfolio', '/portfolio', () => ann],
    ['orderbook', '/orderbook?symbol=AAPL', () => ann],
    ['accounts', '/accounts', () => admin],
  ];
  for (const width of [390, 800]) {
    it(`fits every screen in a ${width} px window: no page scroll sideways, ticket and Log out on screen`, async () => {
      for (const [name, path, who] of screens) {
        const page = await open(path, who(), { viewport: { width, height: 844 } });
        await page.locator('main .panel').first().waitFor();
        if (name === 'quotes' || name === 'orderbook') await page.getByTestId('order-ticket').waitFor();
        const fits = await page.evaluate(() => ({
          scroll: document.documentElement.scrollWidth,
          window: window.innerWidth,
          // What sticks out, to say so when it fails (elements inside a scrolling table are fine).
          wide: [...document.querySelectorAll('body *')]
            .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest('.table-wrap'))
            .slice(0, 5)
            .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} right=${Math.round(e.getBoundingClientRect().right)}`),
        }));
        expect(fits.scroll, `${name} at ${width} px: ${fits.wide.join(', ')}`).toBeLessThanOrEqual(fits.window);
        const onScreen = async (what: string, box: { x: number; width: number } | null) => {
          expect(box, `${what} on ${name} at ${width} px`).not.toBeNull();
          expect(box!.x, `${what} on ${name} at ${width} px`).toBeGreaterThanOrEqual(0);
          expect(box!.x + box!.width, `${what} on ${name} at ${width} px`).toBeLessThanOrEqual(width);
        };
        if (who()) await onScreen('Log out', await page.getByRole('button', { name: 'Log out' }).boundingBox());
        if (name === 'quotes' || name === 'orderbook') {
          await onScreen('the ticket', await page.getByTestId('order-ticket').boundingBox());
          await onScreen('the ticket’s submit', await page.getByTestId('order-ticket').locator('button[type="submit"]').boundingBox());
        }
        await shot(page, `${name}-${width}`);
        await page.context().close();
      }
    });
  }

  it('says the book may be stale while the connection is down, and Live again after', async () => {
    const page = await open('/orderbook?symbol=AAPL', ann);
    // Everything the screen loads on demand is there before the server goes.
    await page.getByTestId('price-chart').locator('canvas').first().waitFor();
    const status = page.getByTestId('book-status');
    await expect.poll(() => status.textContent(), POLL).toMatch(/^\s*Live/);
    const { port } = new URL(server.url);
    const database = server.databaseUrl;
    await server.stop({ keepDatabase: true, crash: true });
    await page.getByTestId('reconnect-banner').waitFor({ timeout: 20_000 });
    expect(await status.textContent()).not.toMatch(/^\s*Live/);
    expect(await status.getAttribute('class')).toContain('book-offline');
    await shot(page, 'book-offline');
    server = await startServer({ PORT: port, DATABASE_URL: database });
    await page.getByTestId('reconnect-banner').waitFor({ state: 'detached', timeout: 30_000 });
    await expect.poll(() => status.textContent(), { ...POLL, timeout: 30_000 }).toMatch(/^\s*Live/);
  });

  it('tells a disabled account why its session ended, with no reconnect banner left behind', async () => {
    const page = await open('/portfolio', ben);
    await page.locator('.live-dot.connected').waitFor({ timeout: 15_000 });
    await api('mutation($id:ID!){setUserDisabled(userId:$id,disabled:true){id}}', { id: ben.user.id }, admin);
    await page.waitForURL(/\/login/);
    await expect.poll(() => page.getByTestId('toasts').textContent(), POLL).toContain('an administrator disabled this account');
    expect(await page.getByTestId('reconnect-banner').count()).toBe(0);
    expect(await page.locator('.live-dot.reconnecting').count()).toBe(0);
    await shot(page, 'disabled-account');
  });
});
