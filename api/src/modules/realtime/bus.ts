import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Topics } from './messages.js';
import { createHub, type Hub } from './hub.js';

/**
 * The event bus behind subscriptions and the FIX gateway. In-process by default; with a Redis
 * URL, every replica publishes its commits to Redis and hears everyone's (its own included),
 * so a subscriber on any replica hears fills produced on any other. Redis pub/sub is
 * at-most-once: messages carry complete state (book tops, order states) so a lost one is
 * repaired by the next, and clients that detect a gap refetch.
 */
export interface Bus {
  readonly pubsub: Hub<Topics>;
  /** True when backed by Redis. */
  readonly distributed: boolean;
  /**
   * Resolves once everything this process published before the call has come back to it (with
   * Redis: a fence message on a channel of this process, which Redis delivers after every
   * earlier publish of the same connection), or after `timeoutMs`; false on the time-out.
   * In-process delivery is synchronous, so it resolves at once.
   */
  flush(timeoutMs: number): Promise<boolean>;
  /** True while both Redis connections are ready (always true in-process). */
  connected(): boolean;
  /** Messages dropped because Redis was away and the outbound queue was full. */
  dropped(): number;
  close(): Promise<void>;
}

/** How the Redis bus behaves while Redis is away. */
export interface BusOptions {
  /**
   * Publishes waiting for Redis (sent in order once it is back) at most; beyond that messages
   * are dropped and counted, so an outage costs bounded memory. Default 10,000.
   */
  readonly maxOutbound?: number;
  /** Called once per change of {@link Bus.connected}, with the Redis error that caused a loss, if any. */
  readonly onStateChange?: (connected: boolean, error?: Error) => void;
  /** Called for each message dropped because the outbound queue was full. */
  readonly onDrop?: () => void;
  /**
   * Topics delivered inside this process only, never through Redis: their messages reach the
   * other replicas another way (execution reports and order changes ride on the journal feed,
   * see report-feed.ts), so they do not wait for Redis and are not lost with it.
   */
  readonly localTopics?: readonly string[];
}

/** Routes the channels of `localTopics` to an in-process target and the rest to `remote`. */
function routed(remote: EventTarget, localTopics: readonly string[]): EventTarget {
  if (localTopics.length === 0) return remote;
  const local = new EventTarget();
  setMaxListeners(0, local);
  const pick = (type: string) => (localTopics.some((t) => type === t || type.startsWith(`${t}:`)) ? local : remote);
  return {
    addEventListener: (type: string, cb: EventListenerOrEventListenerObject | null, o?: AddEventListenerOptions | boolean) => pick(type).addEventListener(type, cb, o),
    removeEventListener: (type: string, cb: EventListenerOrEventListenerObject | null, o?: EventListenerOptions | boolean) => pick(type).removeEventListener(type, cb, o),
    dispatchEvent: (event: Event) => pick(event.type).dispatchEvent(event),
  };
}

/**
 * Redis channels are shared by every database index on a server: each deployment (and each
 * test run) names its channels under its own prefix.
 */
function prefixed<T extends EventTarget>(target: T, prefix: string): EventTarget {
  return {
    addEventListener: (type: string, cb: EventListenerOrEventListenerObject | null, o?: AddEventListenerOptions | boolean) =>
      target.addEventListener(prefix + type, cb, o),
    removeEventListener: (type: string, cb: EventListenerOrEventListenerObject | null, o?: EventListenerOptions | boolean) =>
      target.removeEventListener(prefix + type, cb, o),
    dispatchEvent: (event: Event) => target.dispatchEvent(new CustomEvent(prefix + event.type, { detail: (event as CustomEvent).detail })),
  };
}

export async function createBus(redisUrl?: string, channelPrefix = 'trading:', maxPending = 10_000, busOptions: BusOptions = {}): Promise<Bus> {
  if (!redisUrl) {
    const eventTarget = new EventTarget();
    // One listener per channel (hub.ts), but a busy exchange has thousands of channels.
    setMaxListeners(0, eventTarget);
    return { pubsub: createHub<Topics>(eventTarget, { maxPending }), distributed: false, connected: () => true, dropped: () => 0, flush: async () => true, close: async () => {} };
  }
  const options = { maxRetriesPerRequest: null, lazyConnect: true, enableAutoPipelining: true } as const;
  const publishClient = new Redis(redisUrl, options);
  const subscribeClient = new Redis(redisUrl, options);
  await Promise.all([publishClient.connect(), subscribeClient.connect()]);
  const maxOutbound = busOptions.maxOutbound ?? 10_000;
  let outbound = 0;
  let dropped = 0;
  let connected = true;
  let lastError: Error | undefined;
  const update = () => {
    const now = publishClient.status === 'ready' && subscribeClient.status === 'ready';
    if (now === connected) return;
    connected = now;
    busOptions.onStateChange?.(now, now ? undefined : lastError);
    lastError = undefined;
  };
  for (const client of [publishClient, subscribeClient]) {
    // A listener for 'error' also stops ioredis printing "[ioredis] Unhandled error event" on every retry.
    client.on('error', (e: Error) => (lastError = e));
    for (const event of ['ready', 'close', 'end', 'reconnecting']) client.on(event, update);
  }
  /** The publishing side, with a bounded queue while Redis is away (ioredis' own offline queue has no bound). */
  const bounded = {
    publish(channel: string, message: string): Promise<number> {
      if (outbound >= maxOutbound) {
        dropped++;
        busOptions.onDrop?.();
        return Promise.resolve(0);
      }
      outbound++;
      return publishClient
        .publish(channel, message)
        .catch(() => 0)
        .finally(() => outbound--);
    },
  };
  /**
   * The subscribing side as the event target uses it. It does not await SUBSCRIBE/UNSUBSCRIBE:
   * while Redis is away they wait in ioredis' queue (and are re-sent on reconnect), and a close
   * during an outage rejects them ("Connection is closed"), which must not surface as an
   * unhandled rejection.
   */
  const subscriber = {
    on: (event: string, listener: (channel: string, message: string) => void) => subscribeClient.on(event, listener),
    subscribe: (channel: string) => subscribeClient.subscribe(channel).catch((e: Error) => (lastError = e)),
    unsubscribe: (channel: string) => subscribeClient.unsubscribe(channel).catch((e: Error) => (lastError = e)),
  };
  const eventTarget = createRedisEventTarget<CustomEvent>({ publishClient: bounded as unknown as Redis, subscribeClient: subscriber as unknown as Redis });
  const pubsub = createHub<Topics>(routed(prefixed(eventTarget as unknown as EventTarget, channelPrefix), busOptions.localTopics ?? []), { maxPending });
  const fenceChannel = `${channelPrefix}fence:${randomUUID()}`;
  const fences = new Map<string, () => void>();
  subscribeClient.on('message', (channel: string, message: string) => {
    if (channel === fenceChannel) fences.get(message)?.();
  });
  await subscribeClient.subscribe(fenceChannel);
  let fenceSeq = 0;
  return {
    pubsub,
    distributed: true,
    flush: (timeoutMs) =>
      new Promise<boolean>((resolve) => {
        const id = String(++fenceSeq);
        const timer = setTimeout(() => {
          fences.delete(id);
          resolve(false);
        }, timeoutMs);
        fences.set(id, () => {
          clearTimeout(timer);
          fences.delete(id);
          resolve(true);
        });
        publishClient.publish(fenceChannel, id).catch(() => {});
      }),
    connected: () => connected,
    dropped: () => dropped,
    close: async () => {
      // QUIT waits for Redis: only when it is there, and not for long; then drop the sockets
      // (a shutdown during an outage must not hang on the retry loop).
      const quit = (c: Redis) => (c.status === 'ready' ? Promise.race([c.quit(), new Promise((r) => setTimeout(r, 1000).unref())]) : undefined);
      await Promise.allSettled([quit(publishClient), quit(subscribeClient)]);
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
