/**
 * Small helpers shared by the proof runs: a GraphQL-over-HTTP call that tells network failures
 * from answers, exact decimal ↔ tick conversion, a seeded PRNG, percentiles and sleeping.
 */
import http from 'node:http';

/** A coded GraphQL error as the API sends it. */
export interface GqlError {
  readonly message: string;
  readonly extensions?: { readonly code?: string; readonly reason?: string; readonly field?: string };
}

/** What one HTTP attempt gave: data, coded errors, or no answer at all (connection refused/reset, timeout). */
export type GqlAnswer<T> =
  | { readonly kind: 'data'; readonly status: number; readonly data: T }
  | { readonly kind: 'errors'; readonly status: number; readonly errors: readonly GqlError[] }
  | { readonly kind: 'network'; readonly error: string };

/**
 * Keep-alive connections to the API, at most `maxSockets` at once: further requests queue in
 * the client (their wait counts in their latency) instead of opening ever more sockets.
 */
export const agent = new http.Agent({ keepAlive: true, maxSockets: 128, keepAliveMsecs: 1000 });

/**
 * POSTs one operation to `<url>/graphql` (node:http, through {@link agent}); never throws.
 * `timeoutMs` bounds the whole exchange, queueing included.
 */
export function post<T = Record<string, unknown>>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string, timeoutMs = 15_000, via: http.Agent = agent): Promise<GqlAnswer<T>> {
  const body = JSON.stringify({ query, variables });
  return new Promise((resolve) => {
    let done = false;
    const finish = (a: GqlAnswer<T>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(a);
    };
    const req = http.request(
      `${url}/graphql`,
      {
        method: 'POST',
        agent: via,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => finish({ kind: 'network', error: (e as NodeJS.ErrnoException).code ?? e.message }));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          let parsed: { data?: T | null; errors?: GqlError[] };
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof parsed;
          } catch (e) {
            finish({ kind: 'network', error: `unreadable answer (HTTP ${status}): ${(e as Error).message}` });
            return;
          }
          if (parsed.errors?.length) finish({ kind: 'errors', status, errors: parsed.errors });
          else if (!parsed.data) finish({ kind: 'errors', status, errors: [{ message: 'no data and no errors' }] });
          else finish({ kind: 'data', status, data: parsed.data });
        });
      },
    );
    const timer = setTimeout(() => {
      finish({ kind: 'network', error: 'TIMEOUT' });
      req.destroy();
    }, timeoutMs);
    req.on('error', (e) => finish({ kind: 'network', error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end(body);
  });
}

/** `code/reason` of the first error. */
export const codeOf = (errors: readonly GqlError[]) => `${errors[0]?.extensions?.code ?? 'UNCODED'}/${errors[0]?.extensions?.reason ?? '-'}`;

/** Decimal string → integer ticks of `tickSize` (exact; undefined when not a multiple). */
export function decimalToTicks(price: string, tickSize: string): number | undefined {
  const scaled = (s: string, scale: number) => {
    const [i = '0', f = ''] = s.split('.');
    return BigInt(i + f.padEnd(scale, '0').slice(0, scale));
  };
  const scale = Math.max(price.split('.')[1]?.length ?? 0, tickSize.split('.')[1]?.length ?? 0);
  const p = scaled(price, scale);
  const t = scaled(tickSize, scale);
  return p % t === 0n ? Number(p / t) : undefined;
}

/** Integer ticks of `tickSize` → decimal string with the tick's number of decimals. */
export function ticksToDecimal(ticks: number, tickSize: string): string {
  const scale = tickSize.split('.')[1]?.length ?? 0;
  const units = BigInt(ticks) * BigInt(tickSize.replace('.', ''));
  const s = units.toString().padStart(scale + 1, '0');
  return scale === 0 ? s : `${s.slice(0, -scale)}.${s.slice(-scale)}`;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same run of numbers. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Percentile of a sample (nearest rank); NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Rounds to `digits` decimals for printing. */
export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
