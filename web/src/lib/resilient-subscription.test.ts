import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoff, every, resilientSubscription, type Subscribable } from './resilient-subscription';

/** A server-side stand-in: each subscribe opens a channel the test can push to or fail. */
function fakeSource<T>() {
  const channels: { next(v: T): void; error(e: unknown): void; closed: boolean }[] = [];
  const source: Subscribable<T> = {
    subscribe(observer) {
      // An error ends the channel on the server's side (an Observable does not go on after one).
      const ch = {
        closed: false,
        next: (v: T) => observer.next(v),
        error(e: unknown) {
          ch.closed = true;
          observer.error(e);
        },
      };
      channels.push(ch);
      return { unsubscribe: () => void (ch.closed = true) };
    },
  };
  return { source, channels, open: () => channels.filter((c) => !c.closed) };
}

describe('resilientSubscription', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('delivers values, and after a refusal subscribes again once the delay has passed', () => {
    const { source, channels, open } = fakeSource<number>();
    const seen: number[] = [];
    const refusals: number[] = [];
    const sub = resilientSubscription(() => source, { next: (v) => seen.push(v), refused: (_e, n) => refusals.push(n) }, every(5_000));
    sub.restart();
    channels[0]!.next(1);
    channels[0]!.error(new Error('throttled'));
    expect(refusals).toEqual([1]);
    vi.advanceTimersByTime(4_999);
    expect(channels).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(channels).toHaveLength(2);
    channels[1]!.next(2);
    expect(seen).toEqual([1, 2]);
    expect(open()).toHaveLength(1);
  });

  it('backs off per consecutive failure and resets the count on a value', () => {
    const { source, channels } = fakeSource<number>();
    const refusals: number[] = [];
    const sub = resilientSubscription(() => source, { next: () => {}, refused: (_e, n) => refusals.push(n) }, backoff(1_000, 60_000));
    sub.restart();
    channels[0]!.error('x'); // retry in 2 s
    vi.advanceTimersByTime(2_000);
    channels[1]!.error('x'); // retry in 4 s
    vi.advanceTimersByTime(3_999);
    expect(channels).toHaveLength(2);
    vi.advanceTimersByTime(1);
    channels[2]!.next(1);
    channels[2]!.error('x'); // the count restarted: 2 s again
    vi.advanceTimersByTime(2_000);
    expect(channels).toHaveLength(4);
    expect(refusals).toEqual([1, 2, 1]);
    expect(backoff(1_000, 60_000)(10)).toBe(60_000);
  });

  it('restart replaces the subscription, and the old one is closed and ignored', () => {
    const { source, channels, open } = fakeSource<number>();
    const seen: number[] = [];
    const sub = resilientSubscription(() => source, { next: (v) => seen.push(v) }, every(5_000));
    sub.restart();
    sub.restart();
    expect(channels[0]!.closed).toBe(true);
    channels[0]!.next(1);
    channels[0]!.error('late');
    vi.advanceTimersByTime(10_000);
    channels[1]!.next(2);
    expect(seen).toEqual([2]);
    expect(open()).toHaveLength(1);
  });

  it('stop cancels a pending retry and closes the subscription', () => {
    const { source, channels, open } = fakeSource<number>();
    const sub = resilientSubscription(() => source, { next: () => {} }, every(5_000));
    sub.restart();
    channels[0]!.error('x');
    sub.stop();
    vi.advanceTimersByTime(60_000);
    expect(channels).toHaveLength(1);
    sub.restart();
    sub.stop();
    expect(open()).toHaveLength(0);
  });

  it('opens nothing and retries nothing while there is nothing to subscribe to', () => {
    const { source, channels } = fakeSource<number>();
    let loggedIn = false;
    const sub = resilientSubscription(() => (loggedIn ? source : null), { next: () => {} }, every(1_000));
    sub.restart();
    vi.advanceTimersByTime(10_000);
    expect(channels).toHaveLength(0);
    loggedIn = true;
    sub.restart();
    expect(channels).toHaveLength(1);
  });

  it('lets a refusal handler restart at once without a second subscription', () => {
    const { source, channels, open } = fakeSource<number>();
    const sub = resilientSubscription(() => source, { next: () => {}, refused: () => sub.restart() }, every(5_000));
    sub.restart();
    channels[0]!.error('gap');
    vi.advanceTimersByTime(5_000);
    expect(channels).toHaveLength(2);
    expect(open()).toHaveLength(1);
  });
});
