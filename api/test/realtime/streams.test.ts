/**
 * The subscription stream helpers end at once when the consumer closes them: return() resolves
 * a pending next() with done and ends the source (its bus listener) without waiting for the
 * topic's next event. (As async generators they queued return() behind the pending next(), so
 * closed subscriptions on quiet topics lived for ever.)
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { coalesce, merge, onEnd, pipe } from '../../src/modules/realtime/streams.js';
import { createHub } from '../../src/modules/realtime/hub.js';

type Topics = { t: [string, number] };
const TIMEOUT = Symbol('timeout');
/** The promise's value, or TIMEOUT if it takes longer than `ms`. */
const within = <T>(p: Promise<T>, ms = 200) => Promise.race([p, new Promise<typeof TIMEOUT>((r) => setTimeout(() => r(TIMEOUT), ms))]);
const tick = () => new Promise((r) => setTimeout(r, 10));

/** A bus topic (in-process pub/sub, as the app's bus without Redis). */
function topic() {
  const pubsub = createHub<Topics>(new EventTarget(), { maxPending: 10_000 });
  return { pubsub, source: () => pubsub.subscribe('t', 'x'), publish: (v: number) => pubsub.publish('t', 'x', v) };
}

/** A source that records whether it was ended. */
function recorded<T>(source: AsyncIterable<T>) {
  const it = source[Symbol.asyncIterator]();
  const log = { returned: 0 };
  const wrapped: AsyncIterableIterator<T> = {
    next: () => it.next(),
    return: async () => {
      log.returned++;
      return (await it.return?.()) ?? { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => wrapped,
  };
  return { wrapped, log };
}

describe.each([
  ['pipe', <T>(s: AsyncIterable<T>) => pipe(s, (v) => v)],
  ['coalesce', <T>(s: AsyncIterable<T>) => coalesce(s)],
  ['paced coalesce', <T>(s: AsyncIterable<T>) => coalesce(s, { minIntervalMs: 250 })],
  ['merge', <T>(s: AsyncIterable<T>) => merge([s])],
  ['onEnd', <T>(s: AsyncIterable<T>) => onEnd(s, () => {})],
  ['pipe of paced coalesce of merge (the quotes stream)', <T>(s: AsyncIterable<T>) => pipe(coalesce(merge([s]), { minIntervalMs: 250 }), (v) => v)],
])('%s', (_name, wrap) => {
  it('passes values through', async () => {
    const { source, publish } = topic();
    const s = wrap(source());
    const first = s.next();
    await tick();
    publish(1);
    expect(await within(first, 1000)).toEqual({ done: false, value: 1 });
    await s.return!();
  });

  it('return() resolves a pending next() with done at once and ends the source', async () => {
    const { source } = topic();
    const { wrapped, log } = recorded(source());
    const s = wrap(wrapped);
    const pending = s.next();
    await tick();
    expect(await within(s.return!())).toEqual({ done: true, value: undefined });
    expect(await within(pending)).toEqual({ done: true, value: undefined });
    expect(log.returned).toBe(1);
    expect(await within(s.next())).toEqual({ done: true, value: undefined });
  });

  it('return() right after a value was taken does not wait for the next one (the pacing pause included)', async () => {
    const { source, publish } = topic();
    const s = wrap(source());
    const first = s.next();
    await tick();
    publish(1);
    expect(await within(first, 1000)).toEqual({ done: false, value: 1 });
    const pending = s.next();
    await tick();
    expect(await within(s.return!())).toEqual({ done: true, value: undefined });
    expect(await within(pending)).toEqual({ done: true, value: undefined });
  });
});

describe('onEnd', () => {
  it('runs its cleanup once, on return() while a next() is pending', async () => {
    const { source } = topic();
    let ended = 0;
    const s = onEnd(source(), () => ended++);
    const pending = s.next();
    await tick();
    await within(s.return());
    await within(s.return());
    expect(await within(pending)).toEqual({ done: true, value: undefined });
    expect(ended).toBe(1);
  });

  it('runs its cleanup when the source ends or fails', async () => {
    let ended = 0;
    async function* two() {
      yield 1;
      yield 2;
    }
    const values: number[] = [];
    for await (const v of onEnd(two(), () => ended++)) values.push(v);
    expect(values).toEqual([1, 2]);
    expect(ended).toBe(1);
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      throw new Error('boom');
    }
    const s = onEnd(failing(), () => ended++);
    expect(await s.next()).toEqual({ done: false, value: 1 });
    await expect(s.next()).rejects.toThrow('boom');
    expect(ended).toBe(2);
  });
});

describe('coalesce', () => {
  it('keeps the newest value per key for a slow reader', async () => {
    const { source, publish } = topic();
    const s = coalesce(source(), { key: (v) => String(v % 2) });
    await tick();
    for (const v of [1, 2, 3, 4, 5]) publish(v);
    await tick();
    expect([await s.next(), await s.next()]).toEqual([
      { done: false, value: 4 },
      { done: false, value: 5 },
    ]);
    await s.return();
  });

  it('hears what is published between its creation and the first next() (subscribe before the snapshot)', async () => {
    const { source, publish } = topic();
    const s = coalesce(source());
    await tick();
    publish(7);
    expect(await within(s.next())).toEqual({ done: false, value: 7 });
    await s.return();
  });
});

describe('streams hold no memory per event', () => {
  // A retained reaction per event (e.g. racing each pull against one long-lived promise) kept
  // ~9 MB per 1,000 events per stream alive until the stream ended: gigabytes on a busy book.
  const gc = (() => {
    setFlagsFromString('--expose_gc');
    return runInNewContext('gc') as () => void;
  })();
  const heapAfterGc = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  async function* numbers(n: number) {
    for (let i = 0; i < n; i++) yield i;
  }
  const EVENTS = 200_000;

  it.each([
    ['pipe', () => pipe(numbers(EVENTS), (x) => x + 1)],
    ['onEnd', () => onEnd(numbers(EVENTS), () => {})],
    ['merge with a quiet source', () => merge([numbers(EVENTS), topic().source()])],
  ] as const)('%s: reading 200,000 events leaves the heap where it was', async (_name, make) => {
    const s = make();
    for (let i = 0; i < 1000; i++) await s.next(); // warm up
    const before = heapAfterGc();
    let read = 0;
    while (read < EVENTS - 2000) {
      const r = await s.next();
      if (r.done) break;
      read++;
    }
    const grown = heapAfterGc() - before;
    await s.return();
    expect(read).toBeGreaterThan(0);
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  });
});
