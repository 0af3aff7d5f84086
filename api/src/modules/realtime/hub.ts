import { DomainError } from '../../errors.js';
import type { Stream } from './streams.js';

/**
 * Topic fan-out inside one process, over an EventTarget that carries messages between
 * processes (in-memory, or Redis through @graphql-yoga/redis-event-target; see bus.ts).
 *
 * It replaces @graphql-yoga/subscription's createPubSub, whose per-subscriber delivery made
 * the difference under load: each subscriber had its own EventTarget listener and a Repeater,
 * and every push onto a Repeater allocates about eight promises and a promise-like object.
 * With 1,000 sockets on a book that was the largest single cost of a book update after the
 * socket writes. Here a channel (topic and key) has one listener on the EventTarget however
 * many subscribe to it, and delivers to each subscriber by a plain array push; a subscriber
 * costs one promise per message only when it is waiting for one.
 *
 * A subscriber that falls `maxPending` messages behind is cut off: its stream fails with
 * TOO_MANY_REQUESTS / SLOW_CONSUMER (the client resubscribes and refetches), rather than
 * queuing without bound. Book and quote streams coalesce as they read, so only a stalled
 * consumer of a per-message topic (execution reports, the tape, order changes) can get there.
 */
export type TopicMap = Record<string, [unknown] | [unknown, unknown]>;

type KeyOf<A> = A extends [infer K, unknown] ? [key: K] : [];
type MessageOf<A> = A extends [unknown, infer M] ? M : A extends [infer M] ? M : never;

export interface Hub<T extends TopicMap> {
  /** Publishes `message` on a topic (with its key for keyed topics). Delivery is synchronous in-process. */
  publish<K extends keyof T & string>(topic: K, ...args: T[K]): void;
  /** The messages of a topic (of one key, for keyed topics) from now on, until return(). */
  subscribe<K extends keyof T & string>(topic: K, ...key: KeyOf<T[K]>): Stream<MessageOf<T[K]>>;
  /** Channels with at least one local subscriber (for tests and metrics). */
  channels(): number;
  /** Messages delivered to local subscribers and not yet taken by them (shutdown waits for 0). */
  pending(): number;
}

interface Channel {
  readonly sinks: Set<(message: unknown) => void>;
  readonly listener: (event: Event) => void;
}

const DONE: IteratorResult<never, undefined> = Object.freeze({ done: true, value: undefined });

export function createHub<T extends TopicMap>(target: EventTarget, options: { maxPending: number }): Hub<T> {
  const channels = new Map<string, Channel>();
  let queued = 0;
  const nameOf = (topic: string, key: unknown[]) => (key.length === 0 ? topic : `${topic}:${String(key[0])}`);

  const attach = (name: string, sink: (message: unknown) => void) => {
    let channel = channels.get(name);
    if (!channel) {
      const sinks = new Set<(message: unknown) => void>();
      const listener = (event: Event) => {
        const message = (event as CustomEvent).detail;
        for (const s of sinks) s(message);
      };
      channel = { sinks, listener };
      channels.set(name, channel);
      target.addEventListener(name, listener);
    }
    channel.sinks.add(sink);
  };
  const detach = (name: string, sink: (message: unknown) => void) => {
    const channel = channels.get(name);
    if (!channel) return;
    channel.sinks.delete(sink);
    if (channel.sinks.size === 0) {
      channels.delete(name);
      target.removeEventListener(name, channel.listener);
    }
  };

  return {
    publish(topic, ...args) {
      // Keyed topics are published as (key, message), the others as (message).
      const name = nameOf(topic, args.slice(0, -1));
      target.dispatchEvent(new CustomEvent(name, { detail: args[args.length - 1] }));
    },

    subscribe(topic, ...key) {
      const name = nameOf(topic, key);
      /** Messages not yet taken; `head` is the next one (shifting a long array is O(n)). */
      let queue: unknown[] = [];
      let head = 0;
      let waiting: ((r: IteratorResult<never, undefined>) => void) | undefined;
      let failWaiting: ((e: unknown) => void) | undefined;
      let failure: DomainError | undefined;
      let closed = false;

      const sink = (message: unknown) => {
        if (waiting) {
          const w = waiting;
          waiting = failWaiting = undefined;
          w({ done: false, value: message as never });
          return;
        }
        if (queue.length - head >= options.maxPending) {
          failure = new DomainError('TOO_MANY_REQUESTS', 'SLOW_CONSUMER', `This subscription fell more than ${options.maxPending} messages behind; subscribe again and refetch.`);
          close();
          return;
        }
        queue.push(message);
        queued++;
      };
      const close = () => {
        if (closed) return;
        closed = true;
        detach(name, sink);
        queued -= queue.length - head;
        queue = [];
        head = 0;
        const w = waiting;
        const f = failWaiting;
        waiting = failWaiting = undefined;
        if (failure && f) f(failure);
        else w?.(DONE);
      };
      attach(name, sink);

      const self: Stream<MessageOf<T[typeof topic]>> = {
        next() {
          if (head < queue.length) {
            const value = queue[head++] as MessageOf<T[typeof topic]>;
            queued--;
            if (head === queue.length) {
              queue = [];
              head = 0;
            } else if (head > 1024 && head * 2 > queue.length) {
              queue = queue.slice(head);
              head = 0;
            }
            return Promise.resolve({ done: false, value });
          }
          if (failure) {
            const e = failure;
            failure = undefined;
            return Promise.reject(e);
          }
          if (closed) return Promise.resolve(DONE);
          return new Promise((resolve, reject) => {
            waiting = resolve as (r: IteratorResult<never, undefined>) => void;
            failWaiting = reject;
          });
        },
        return() {
          failure = undefined;
          close();
          return Promise.resolve(DONE);
        },
        throw(error?: unknown) {
          close();
          return Promise.reject(error);
        },
        [Symbol.asyncIterator]() {
          return self;
        },
      };
      return self;
    },

    channels: () => channels.size,
    pending: () => queued,
  };
}
