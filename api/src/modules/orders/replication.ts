import type { Hub } from '../realtime/hub.js';
import type { Topics } from '../realtime/messages.js';
import type { ReportFeed } from '../realtime/report-feed.js';
import type { Logger } from '../../logger.js';
import type { OrderPath } from './order-path.js';

/** The link between this process's order path and the other replicas' (see {@link replicate}). */
export interface Replication {
  /** Stops publishing and following. */
  close(): Promise<void>;
}

/**
 * Keeps replicas warm: every commit's journal entries go on the bus, and every entry heard
 * (other replicas' commits; this process's own are ignored as stale) is applied to the book
 * here, so the order path's lock-time check rarely finds a book behind. The bus is at-most-once:
 * a lost entry shows up as a gap at the next one (or at the lock) and is read from the database.
 * A feed cut off for falling behind is followed again at once. The messages also carry the
 * commit's events and order states: `reports` delivers them to this process's subscribers.
 */
export function replicate(path: OrderPath, pubsub: Hub<Topics>, logger: Logger, reports: ReportFeed): Replication {
  let closed = false;
  const unsubscribe = path.onCommit((batch) => {
    for (const msg of reports.messages(batch)) pubsub.publish('journal', msg);
  });
  let feed = pubsub.subscribe('journal');
  const follow = async () => {
    while (!closed) {
      try {
        for await (const msg of feed) {
          if (msg.origin === reports.origin) continue;
          reports.heard(msg);
          if (msg.toSeq === msg.fromSeq) continue;
          path.receive(msg).catch((err: unknown) => logger.error({ component: 'replication', err, symbol: msg.symbol }, 'applying a journal entry failed'));
        }
      } catch (err) {
        if (!closed) logger.warn({ component: 'replication', err }, 'journal feed ended; following it again');
      }
      if (!closed) feed = pubsub.subscribe('journal');
    }
  };
  const following = follow();
  return {
    async close() {
      closed = true;
      unsubscribe();
      await feed.return(undefined);
      await following;
    },
  };
}
