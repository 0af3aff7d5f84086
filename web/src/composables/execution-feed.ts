/**
 * The logged-in trader's execution reports (order updates and fills), one subscription for the
 * whole app: it keeps normalized orders fresh in the Apollo cache, toasts fills and rejects on
 * any screen, and lets screens (Portfolio) fold reports into their lists.
 */
import { inject, onBeforeUnmount, watch, type InjectionKey } from 'vue';
import type { ApolloClient, NormalizedCacheObject } from '@apollo/client/core';
import { ExecutionReportsDocument, type ExecutionReportsSubscription } from '../graphql/generated/graphql';
import { formatPrice, formatQty, humanize } from '../lib/format';
import type { Session } from './session';
import type { Toasts } from './toasts';
import { backoff, resilientSubscription } from '../lib/resilient-subscription';

export type ExecutionReport = ExecutionReportsSubscription['executionReports'];

export interface ExecutionFeed {
  /** Calls `listener` for every report until the returned function is called. */
  onReport(listener: (report: ExecutionReport) => void): () => void;
  stop(): void;
}

export const ExecutionFeedKey: InjectionKey<ExecutionFeed> = Symbol('execution-feed');

/** The toast a report deserves, if any: fills, rejects and expiries (not the user's own cancels). */
export function toastFor(r: ExecutionReport): { kind: 'buy' | 'sell' | 'error' | 'info'; title: string; body: string } | null {
  const o = r.order;
  const what = `${o.side === 'BUY' ? 'Buy' : 'Sell'} ${formatQty(o.quantity)} ${o.symbol}`;
  switch (r.execType) {
    case 'TRADE':
      return {
        kind: o.side === 'BUY' ? 'buy' : 'sell',
        title: `${o.side === 'BUY' ? 'Bought' : 'Sold'} ${formatQty(r.lastQty)} ${o.symbol} @ ${formatPrice(r.lastPx)}`,
        body: `${what}: ${humanize(o.status).toLowerCase()}, ${formatQty(o.cumQty)} of ${formatQty(o.quantity)} filled`,
      };
    case 'REJECTED':
      return { kind: 'error', title: `Order rejected: ${o.symbol}`, body: `${what}${r.reason ?? o.reason ? `: ${humanize(r.reason ?? o.reason ?? '')}` : ''}` };
    case 'EXPIRED':
      return { kind: 'info', title: `Order expired: ${o.symbol}`, body: `${what}, ${formatQty(o.cumQty)} filled` };
    case 'CANCELED':
      return r.reason ?? o.reason ? { kind: 'info', title: `Order canceled: ${o.symbol}`, body: `${what}: ${humanize(r.reason ?? o.reason ?? '')}` } : null;
    default:
      return null;
  }
}

export function createExecutionFeed(client: ApolloClient<NormalizedCacheObject>, session: Session, toasts: Toasts): ExecutionFeed {
  const listeners = new Set<(r: ExecutionReport) => void>();
  const feed = resilientSubscription(
    () => (session.token() ? client.subscribe({ query: ExecutionReportsDocument }) : null),
    {
      next: ({ data }) => {
        const report = data?.executionReports;
        if (!report) return;
        const toast = toastFor(report);
        if (toast) toasts.push(toast);
        for (const l of listeners) l(report);
      },
    },
    backoff(2_000, 60_000),
  );

  const stopWatch = watch(() => session.state.token, feed.restart, { immediate: true });

  return {
    onReport(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      stopWatch();
      feed.stop();
    },
  };
}

/** Listens to the execution feed while the calling component is mounted. */
export function useExecutionReports(listener: (report: ExecutionReport) => void): void {
  const feed = inject(ExecutionFeedKey);
  if (!feed) throw new Error('useExecutionReports() outside the app');
  const off = feed.onReport(listener);
  onBeforeUnmount(off);
}
