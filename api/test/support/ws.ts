import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A subscription under test: every value received, and a way to await the next ones. */
export interface Sub<T> {
  readonly values: T[];
  readonly errors: unknown[];
  /** Resolves when at least `n` values have arrived (or rejects after `ms`). */
  waitFor(n: number, ms?: number): Promise<T[]>;
  /** Resolves when a value satisfying `pred` has arrived. */
  waitUntil(pred: (v: T) => boolean, ms?: number): Promise<T>;
  /** Resolves with the first error the operation ended with (or rejects after `ms`). */
  waitForError(ms?: number): Promise<unknown>;
  stop(): void;
}

/** A graphql-ws client for tests (Node 20 has no global WebSocket). */
export function wsClient(httpUrl: string, token?: string, extra: Partial<Parameters<typeof createClient>[0]> = {}): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
    ...extra,
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read payloads loosely
export function subscribe<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}): Sub<T> {
  const values: T[] = [];
  const errors: unknown[] = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  const stop = client.subscribe<Record<string, unknown>>(
    { query, variables },
    {
      next: (v) => {
        if (v.errors) errors.push(v.errors);
        else values.push(Object.values(v.data ?? {})[0] as T);
        notify();
      },
      error: (e) => {
        errors.push(e);
        notify();
      },
      complete: () => notify(),
    },
  );
  const waitUntilCond = (cond: () => boolean, ms: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      if (cond()) return resolve();
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(values)} errors ${JSON.stringify(errors)}`));
      }, ms);
      const check = () => {
        if (cond()) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        }
      };
      waiters.add(check);
    });
  return {
    values,
    errors,
    waitFor: async (n, ms = 5000) => {
      await waitUntilCond(() => values.length >= n, ms, `${n} values`);
      return values;
    },
    waitUntil: async (pred, ms = 5000) => {
      await waitUntilCond(() => values.some(pred), ms, 'a matching value');
      return values.find(pred)!;
    },
    waitForError: async (ms = 5000) => {
      await waitUntilCond(() => errors.length > 0, ms, 'an error');
      return errors[0];
    },
    stop,
  };
}

/** Waits until the server has `n` active subscriptions on `topic` (no race between subscribe and publish). */
export async function serverSubscribed(getCount: () => Promise<number>, n: number, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if ((await getCount()) >= n) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`server never reached ${n} subscriptions`);
}
