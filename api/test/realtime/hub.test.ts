/**
 * The in-process fan-out of the bus (hub.ts), against a reference model: every subscriber gets
 * exactly the messages published on its channel (topic and key) while it was subscribed, in
 * publish order, whatever the interleaving of subscribing, publishing, reading and closing.
 * Then the edges: one EventTarget listener per channel, return() ending a pending next(), and a
 * subscriber that falls too far behind being cut off with a coded error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHub } from '../../src/modules/realtime/hub.js';
import { DomainError } from '../../src/errors.js';

type Topics = { k: [string, number]; u: [number] };

/** An EventTarget that counts its listeners per event type. */
class CountingTarget extends EventTarget {
  readonly listeners = new Map<string, number>();
  override addEventListener(type: string, cb: EventListenerOrEventListenerObject | null, o?: AddEventListenerOptions | boolean): void {
    this.listeners.set(type, (this.listeners.get(type) ?? 0) + 1);
    super.addEventListener(type, cb, o);
  }
  override removeEventListener(type: string, cb: EventListenerOrEventListenerObject | null, o?: EventListenerOptions | boolean): void {
    this.listeners.set(type, (this.listeners.get(type) ?? 0) - 1);
    super.removeEventListener(type, cb, o);
  }
}

const CHANNELS = [
  { topic: 'k', key: 'a' },
  { topic: 'k', key: 'b' },
  { topic: 'u', key: undefined },
] as const;

type Op =
  | { kind: 'subscribe'; channel: number }
  | { kind: 'publish'; channel: number }
  | { kind: 'read'; sub: number; count: number }
  /** A next() left pending (on an empty queue it waits for a later publish or the close). */
  | { kind: 'pull'; sub: number }
  | { kind: 'close'; sub: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('subscribe' as const), channel: fc.nat(CHANNELS.length - 1) }),
  fc.record({ kind: fc.constant('publish' as const), channel: fc.nat(CHANNELS.length - 1) }),
  fc.record({ kind: fc.constant('read' as const), sub: fc.nat(20), count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('pull' as const), sub: fc.nat(20) }),
  fc.record({ kind: fc.constant('close' as const), sub: fc.nat(20) }),
);

describe('hub', () => {
  it('delivers to each subscriber exactly what its channel published while it was subscribed, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 80 }), async (ops) => {
        const target = new CountingTarget();
        const hub = createHub<Topics>(target, { maxPending: 1_000 });
        type Sub = { channel: number; stream: AsyncIterator<number>; expected: number[]; got: number[]; open: boolean; pull?: Promise<IteratorResult<number>> };
        const subs: Sub[] = [];
        /** Takes the value of an outstanding pull, which must have been answered by a publish. */
        const settlePull = async (s: Sub) => {
          const r = await s.pull!;
          s.pull = undefined;
          expect(r).toEqual({ done: false, value: s.expected[s.got.length] });
          s.got.push(r.value as number);
        };
        /** Messages handed to a subscriber: read, or answering its outstanding pull. */
        const taken = (s: Sub) => s.got.length + (s.pull && s.expected.length > s.got.length ? 1 : 0);
        let n = 0;
        for (const o of ops) {
          if (o.kind === 'subscribe') {
            const c = CHANNELS[o.channel]!;
            const stream = c.topic === 'k' ? hub.subscribe('k', c.key) : hub.subscribe('u');
            subs.push({ channel: o.channel, stream, expected: [], got: [], open: true });
          } else if (o.kind === 'publish') {
            const value = n++;
            const c = CHANNELS[o.channel]!;
            if (c.topic === 'k') hub.publish('k', c.key, value);
            else hub.publish('u', value);
            for (const s of subs) if (s.open && s.channel === o.channel) s.expected.push(value);
          } else {
            const s = subs[o.sub % Math.max(1, subs.length)];
            if (!s || !s.open) continue;
            if (o.kind === 'close') {
              // What was published before the close may still be read; nothing after it. A pull
              // that no publish answered ends with done.
              await s.stream.return!();
              if (s.pull && s.expected.length > s.got.length) await settlePull(s);
              else if (s.pull) {
                expect(await s.pull).toEqual({ done: true, value: undefined });
                s.pull = undefined;
              }
              s.open = false;
              s.expected = s.got.slice();
            } else if (o.kind === 'pull') {
              s.pull ??= s.stream.next();
            } else {
              if (s.pull && s.expected.length > s.got.length) await settlePull(s);
              for (let i = 0; i < o.count && !s.pull && s.got.length < s.expected.length; i++) {
                const r = await s.stream.next();
                expect(r.done).toBe(false);
                s.got.push(r.value as number);
              }
            }
          }
          // Messages delivered and not yet taken: what the open subscribers have still to read.
          expect(hub.pending()).toBe(subs.filter((x) => x.open).reduce((n, x) => n + x.expected.length - taken(x), 0));
        }
        for (const s of subs) {
          if (s.open) {
            if (s.pull && s.expected.length > s.got.length) await settlePull(s);
            if (s.pull) {
              await s.stream.return!();
              expect(await s.pull).toEqual({ done: true, value: undefined });
              s.pull = undefined;
            }
            while (s.got.length < s.expected.length) s.got.push((await s.stream.next()).value as number);
            await s.stream.return!();
          }
          expect(s.got).toEqual(s.expected);
        }
        // Every listener is gone once every subscriber has closed, and nothing is left queued.
        expect(hub.channels()).toBe(0);
        expect(hub.pending()).toBe(0);
        expect([...target.listeners.values()].every((v) => v === 0)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps one EventTarget listener per channel, however many subscribe', async () => {
    const target = new CountingTarget();
    const hub = createHub<Topics>(target, { maxPending: 10 });
    const streams = Array.from({ length: 100 }, () => hub.subscribe('k', 'a'));
    expect(target.listeners.get('k:a')).toBe(1);
    hub.publish('k', 'a', 7);
    for (const s of streams) expect(await s.next()).toEqual({ done: false, value: 7 });
    for (const s of streams) await s.return();
    expect(target.listeners.get('k:a')).toBe(0);
  });

  it('answers a pending next() with done when the subscriber closes', async () => {
    const hub = createHub<Topics>(new EventTarget(), { maxPending: 10 });
    const s = hub.subscribe('k', 'a');
    const pending = s.next();
    await s.return();
    expect(await pending).toEqual({ done: true, value: undefined });
    hub.publish('k', 'a', 1);
    expect(await s.next()).toEqual({ done: true, value: undefined });
  });

  it('cuts off a subscriber that falls maxPending messages behind, with TOO_MANY_REQUESTS / SLOW_CONSUMER', async () => {
    const target = new CountingTarget();
    const hub = createHub<Topics>(target, { maxPending: 3 });
    const slow = hub.subscribe('k', 'a');
    const fast = hub.subscribe('k', 'a');
    const fastGot: number[] = [];
    for (let i = 0; i < 5; i++) {
      hub.publish('k', 'a', i);
      fastGot.push((await fast.next()).value as number);
    }
    expect(fastGot).toEqual([0, 1, 2, 3, 4]);
    const error = await slow.next().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'SLOW_CONSUMER' });
    expect(await slow.next()).toEqual({ done: true, value: undefined });
    // The cut-off subscriber no longer holds a listener; the other still does.
    expect(target.listeners.get('k:a')).toBe(1);
    await fast.return();
    expect(target.listeners.get('k:a')).toBe(0);
  });
});
