/**
 * Async-iterable helpers for subscriptions: coalescing so a slow socket gets the newest state
 * rather than an ever-growing queue, pacing so a client gets at most a few updates per second
 * per key, mapping, merging, and running cleanup when a stream ends.
 *
 * They are iterator objects rather than async generators on purpose: an async generator that is
 * waiting for its source queues return() behind the pending next(), so a client that closes a
 * subscription (or a dropped socket) kept the stream, its bus listener and its gauge alive
 * until the topic's next event — for ever on a quiet topic. Here return() acts at once: it ends
 * the source, runs the cleanup and resolves a pending next() with done.
 */

/** An async iterator whose return() takes effect at once (see {@link stream}). */
export interface Stream<T> extends AsyncIterableIterator<T, undefined> {
  next(): Promise<IteratorResult<T, undefined>>;
  return(value?: unknown): Promise<IteratorResult<T, undefined>>;
  throw(error?: unknown): Promise<IteratorResult<T, undefined>>;
  [Symbol.asyncIterator](): Stream<T>;
}

const DONE: IteratorResult<never, undefined> = Object.freeze({ done: true, value: undefined });

/**
 * A stream of the values `pull` produces, one pull at a time. `close` runs once, when the stream
 * ends for whatever reason: `pull` says done, `pull` throws (the error then reaches the
 * consumer), or the consumer calls return() — which resolves a pending next() with done without
 * waiting for `pull`, whose late result is dropped.
 */
export function stream<T>(pull: () => Promise<IteratorResult<T, undefined>>, close: () => unknown): Stream<T> {
  let finished = false;
  let closing: Promise<void> | undefined;
  /**
   * Answers the pending next() with done. (Not a race against one long-lived "stopped" promise:
   * every Promise.race would leave a reaction on it for the stream's whole life — a leak of a
   * promise and closures per event, gigabytes on a busy book.)
   */
  let cut: ((r: IteratorResult<T, undefined>) => void) | undefined;
  const stop = () => cut?.(DONE);
  /** The pull in flight (next() calls are answered in order, one pull at a time). */
  let queue: Promise<unknown> = Promise.resolve();

  const finish = (): Promise<void> => {
    finished = true;
    closing ??= (async () => {
      try {
        await close();
      } catch {
        // The stream is over; a failing cleanup must not turn that into an error.
      }
    })();
    return closing;
  };

  const step = (): Promise<IteratorResult<T, undefined>> => {
    if (finished) return Promise.resolve(DONE);
    return new Promise<IteratorResult<T, undefined>>((resolve, reject) => {
      cut = resolve;
      const answer = (r: IteratorResult<T, undefined>) => {
        cut = undefined;
        resolve(r);
      };
      pull().then(
        (r) => {
          if (!r.done) return answer(finished ? DONE : r);
          return finish().then(() => answer(DONE));
        },
        async (e: unknown) => {
          if (finished) return answer(DONE); // ended by return(): the source's late failure is no news
          await finish();
          cut = undefined;
          reject(e);
        },
      );
    });
  };

  const self: Stream<T> = {
    next() {
      const result = queue.then(step, step);
      queue = result.catch(() => undefined);
      return result;
    },
    async return() {
      stop();
      await finish();
      return DONE;
    },
    async throw(error?: unknown) {
      stop();
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return self;
    },
  };
  return self;
}

const isThenable = <U>(v: U | PromiseLike<U>): v is PromiseLike<U> => typeof (v as { then?: unknown } | null)?.then === 'function';

/** Ends a source's iterator (its return(), when it has one). */
async function end(iterator: AsyncIterator<unknown>): Promise<void> {
  await iterator.return?.();
}

/** The source's values; `cleanup` runs once when the stream ends (done, error or return()). */
export function onEnd<T>(source: AsyncIterable<T>, cleanup: () => void): Stream<T> {
  const iterator = source[Symbol.asyncIterator]();
  return stream<T>(
    () => iterator.next() as Promise<IteratorResult<T, undefined>>,
    async () => {
      cleanup();
      await end(iterator);
    },
  );
}

/** Maps (synchronously or not) and filters an async iterable (undefined: skipped), closing the source when the consumer stops. */
export function pipe<T, U>(source: AsyncIterable<T>, f: (v: T) => U | undefined | PromiseLike<U | undefined>): Stream<U> {
  const iterator = source[Symbol.asyncIterator]();
  return stream<U>(
    async () => {
      for (;;) {
        const r = await iterator.next();
        if (r.done) return DONE;
        const mapped = f(r.value);
        const u = isThenable(mapped) ? await mapped : mapped;
        if (u !== undefined) return { done: false, value: u };
      }
    },
    () => end(iterator),
  );
}

/** Merges several async iterables into one (values in arrival order). */
export function merge<T>(sources: AsyncIterable<T>[]): Stream<T> {
  // Each source is pumped on its own, one value at a time (it waits until its value is taken),
  // into a queue the consumer reads. (Racing the sources' pending next() promises instead would
  // leave a reaction on a quiet source's promise for every value of the others: a leak.)
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const queue: { value: T; taken: () => void }[] = [];
  let open = iterators.length;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  let started = false;
  const pump = async (iterator: AsyncIterator<T>) => {
    try {
      for (;;) {
        const r = await iterator.next();
        if (r.done) break;
        await new Promise<void>((taken) => {
          queue.push({ value: r.value, taken });
          wake?.();
        });
      }
    } catch (error) {
      failure ??= { error };
    } finally {
      open--;
      wake?.();
    }
  };
  return stream<T>(
    async () => {
      if (!started) {
        started = true;
        for (const it of iterators) void pump(it);
      }
      for (;;) {
        const item = queue.shift();
        if (item) {
          item.taken();
          return { done: false, value: item.value };
        }
        if (failure) throw failure.error;
        if (open === 0) return DONE;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    },
    () => Promise.all(iterators.map(end)),
  );
}

/**
 * Yields the newest value of each key (default: one key), dropping older values a slow
 * consumer has not taken yet; with `minIntervalMs`, yields at most one batch of keys per
 * interval. Order among keys is the order in which they were last updated. The source is read
 * from the start (not from the first next()), so nothing published after this call is missed.
 */
export function coalesce<T>(source: AsyncIterable<T>, options: { key?: (v: T) => string; minIntervalMs?: number } = {}): Stream<T> {
  const key = options.key ?? (() => '');
  const iterator = source[Symbol.asyncIterator]();
  const pending = new Map<string, T>();
  let batch: T[] = [];
  /** A batch was handed out since the last pause (pace the next one). */
  let paced = false;
  let wake: (() => void) | undefined;
  let done = false;
  let failure: unknown;
  let stopping = false;
  let cancelPause: (() => void) | undefined;
  /** A sleep that close() cuts short (so a finished subscription leaves no timer). */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopping) return resolve();
      const t = setTimeout(resolve, ms);
      t.unref?.();
      cancelPause = () => {
        clearTimeout(t);
        resolve();
      };
    });
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
  return stream<T>(
    async () => {
      for (;;) {
        if (batch.length > 0) return { done: false, value: batch.shift()! };
        if (paced && options.minIntervalMs) await pause(options.minIntervalMs);
        paced = false;
        if (pending.size === 0) {
          if (done) {
            if (failure) throw failure;
            return DONE;
          }
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
          continue;
        }
        batch = [...pending.values()];
        pending.clear();
        paced = true;
      }
    },
    async () => {
      stopping = true;
      cancelPause?.();
      wake?.();
      await end(iterator);
      await pump;
    },
  );
}
