/**
 * One live subscription that survives refusals: the subscribe / retry / stop logic the book,
 * the trade tape and the execution feed share. The socket itself reconnects on its own
 * (graphql-ws); this is for a subscription the server ended with an error (a refused or
 * throttled subscription, a restart): it is opened again after `retryMs(failures)`.
 * Framework-free, so it is tested with fake timers.
 */

/** What Apollo's `client.subscribe(...)` returns (an Observable), as far as this needs it. */
export interface Subscribable<T> {
  subscribe(observer: { next(value: T): void; error(error: unknown): void }): { unsubscribe(): void };
}

export interface ResilientHandlers<T> {
  /** Each value, while this subscription is the current one. */
  next(value: T): void;
  /** The server ended the subscription with an error; `failures` counts them since the last value. */
  refused?(error: unknown, failures: number): void;
}

export interface ResilientSubscription {
  /** Closes the current subscription (if any) and opens a fresh one now. */
  restart(): void;
  /** Closes it for good (until the next restart). */
  stop(): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** A fixed retry delay. */
export const every = (ms: number) => () => ms;

/** Exponential back-off from `baseMs` (doubling per failure) up to `maxMs`. */
export const backoff = (baseMs: number, maxMs: number) => (failures: number) => Math.min(baseMs * 2 ** failures, maxMs);

/**
 * Keeps one subscription from `open()` alive. `open` returns null when there is nothing to
 * subscribe to now (no session): nothing is opened and nothing retried until `restart()`.
 * Values and errors of a subscription that was replaced or stopped are ignored.
 */
export function resilientSubscription<T>(
  open: () => Subscribable<T> | null,
  handlers: ResilientHandlers<T>,
  retryMs: (failures: number) => number,
  timers: Timers = realTimers,
): ResilientSubscription {
  let current: { unsubscribe(): void } | null = null;
  let generation = 0;
  let retry: unknown;
  let failures = 0;

  const stop = () => {
    generation += 1;
    if (retry !== undefined) timers.clearTimeout(retry);
    retry = undefined;
    current?.unsubscribe();
    current = null;
  };

  const restart = () => {
    stop();
    const source = open();
    if (!source) return;
    const mine = generation;
    current = source.subscribe({
      next: (value) => {
        if (mine !== generation) return;
        failures = 0;
        handlers.next(value);
      },
      error: (error) => {
        if (mine !== generation) return;
        current = null;
        failures += 1;
        handlers.refused?.(error, failures);
        // A handler may have restarted or stopped it already.
        if (mine === generation) retry = timers.setTimeout(restart, retryMs(failures));
      },
    });
  };

  return { restart, stop };
}
