/**
 * Async-iterable helpers for subscriptions: coalescing so a slow socket gets the newest state
 * rather than an ever-growing queue, and pacing so a client gets at most a few updates per
 * second per key.
 */

/** A sleep that the caller can cut short (so a finished subscription leaves no timer). */
function pause(ms: number, signal: { stop: boolean }): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref?.();
    if (signal.stop) {
      clearTimeout(t);
      resolve();
    }
  });
}

/**
 * Yields the newest value of each key (default: one key), dropping older values a slow
 * consumer has not taken yet; with `minIntervalMs`, yields at most one batch of keys per
 * interval. Order among keys is the order in which they were last updated.
 */
export async function* coalesce<T>(
  source: AsyncIterable<T>,
  options: { key?: (v: T) => string; minIntervalMs?: number } = {},
): AsyncGenerator<T> {
  const key = options.key ?? (() => '');
  const pending = new Map<string, T>();
  let wake: (() => void) | undefined;
  let done = false;
  let failure: unknown;
  const signal = { stop: false };
  const iterator = source[Symbol.asyncIterator]();
  const pump = (async () => {
    try {
      for (;;) {
        const r = await iterator.next();
        if (r.done) break;
        const k = key(r.value);
        pending.delete(k);
        pending.set(k, r.value);
        wake?.();
      }
    } catch (e) {
      failure = e;
    } finally {
      done = true;
      wake?.();
    }
  })();
  try {
    for (;;) {
      if (pending.size === 0) {
        if (done) break;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
        continue;
      }
      const values = [...pending.values()];
      pending.clear();
      for (const v of values) yield v;
      if (options.minIntervalMs) await pause(options.minIntervalMs, signal);
    }
    if (failure) throw failure;
  } finally {
    signal.stop = true;
    await iterator.return?.();
    await pump;
  }
}

/** Maps and filters an async iterable, closing the source when the consumer stops. */
export async function* pipe<T, U>(source: AsyncIterable<T>, f: (v: T) => U | undefined): AsyncGenerator<U> {
  for await (const v of source) {
    const u = f(v);
    if (u !== undefined) yield u;
  }
}
