/**
 * The Redis bus through an outage of a Redis server of the test's own (started, SIGKILLed and
 * started again here): the state changes are reported once each, publishes wait in a bounded
 * queue (the rest are dropped and counted, so memory stays bounded), and messages flow again
 * once Redis is back.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createBus, type Bus } from '../../src/modules/realtime/bus.js';
import { freePort, hasRedisServer as hasRedis, startRedis } from '../support/redis-server.js';

describe.skipIf(!hasRedis)('the Redis bus when Redis goes away and comes back', () => {
  let redis: ChildProcess | undefined;
  let bus: Bus | undefined;
  afterAll(async () => {
    await bus?.close();
    redis?.kill('SIGKILL');
  });

  it('reports each state change once, bounds what it holds, and carries messages again after', async () => {
    const port = await freePort();
    redis = await startRedis(port);
    const states: [boolean, string | undefined][] = [];
    bus = await createBus(`redis://127.0.0.1:${port}`, 'outage:', 1000, { maxOutbound: 50, onStateChange: (c, e) => states.push([c, e?.message]) });
    expect(bus.connected()).toBe(true);
    const feed = bus.pubsub.subscribe('userChanged');
    const received: number[] = [];
    void (async () => {
      for await (const m of feed) received.push(m.userId);
    })();
    await vi.waitFor(() => {
      bus!.pubsub.publish('userChanged', { userId: 1 });
      expect(received).toContain(1);
    }, { timeout: 5000, interval: 50 });

    const exited = new Promise((r) => redis!.once('exit', r));
    redis.kill('SIGKILL');
    await exited;
    await vi.waitFor(() => expect(bus!.connected()).toBe(false), { timeout: 5000, interval: 20 });
    for (let i = 0; i < 200; i++) bus.pubsub.publish('userChanged', { userId: 1000 + i });
    // At most 50 held (a publish sent just before the kill may still hold a place): the rest dropped.
    expect(bus.dropped()).toBeGreaterThanOrEqual(150);
    expect(bus.dropped()).toBeLessThan(200);

    redis = await startRedis(port);
    await vi.waitFor(() => expect(bus!.connected()).toBe(true), { timeout: 10_000, interval: 50 });
    await vi.waitFor(() => {
      bus!.pubsub.publish('userChanged', { userId: 2 });
      expect(received).toContain(2);
    }, { timeout: 10_000, interval: 50 });
    expect(states.map(([c]) => c)).toEqual([false, true]);
    await feed.return(undefined);
  });

  it('closes at once while Redis is away', async () => {
    const exited = new Promise((r) => redis!.once('exit', r));
    redis!.kill('SIGKILL');
    await exited;
    await vi.waitFor(() => expect(bus!.connected()).toBe(false), { timeout: 5000, interval: 20 });
    await bus!.close();
    bus = undefined;
  });
});
