/**
 * The L2 book of one symbol, live: the `orderBook` subscription's SNAPSHOT then DELTAs, merged
 * by sequence number. A gap (a DELTA whose prevSeq is not the last seq) means updates were
 * missed: the subscription is restarted, which brings a fresh SNAPSHOT.
 */
import { onBeforeUnmount, ref, shallowRef, watch, type Ref } from 'vue';
import { useApolloClient } from '@vue/apollo-composable';
import { OrderBookDocument, OrderBookUpdatesDocument } from '../graphql/generated/graphql';
import { applyBookUpdate, emptyBook, type BookState } from '../lib/book';
import { serverErrors } from '../lib/errors';
import { every, resilientSubscription } from '../lib/resilient-subscription';

export type BookStatus = 'loading' | 'live' | 'resyncing' | 'offline';

export function useOrderBook(symbol: Ref<string>, depth: Ref<number>) {
  const client = useApolloClient().resolveClient();
  const book = shallowRef<BookState>(emptyBook(symbol.value));
  const status = ref<BookStatus>('loading');
  const error = ref<string | null>(null);
  /** How many times a gap forced a refetch (shown, and handy in tests). */
  const resyncs = ref(0);
  /** One-off snapshot over HTTP, when the subscription is refused. */
  const fetchOnce = async (s: string) => {
    try {
      const { data } = await client.query({ query: OrderBookDocument, variables: { symbol: s, depth: depth.value }, fetchPolicy: 'network-only' });
      if (s !== symbol.value) return;
      const r = applyBookUpdate(emptyBook(s), { ...data.orderBook, kind: 'SNAPSHOT', prevSeq: 0 });
      book.value = r.book;
    } catch (e) {
      error.value = serverErrors(e)[0]?.message ?? 'Cannot load the order book.';
    }
  };

  const live = resilientSubscription(
    () => client.subscribe({ query: OrderBookUpdatesDocument, variables: { symbol: symbol.value, depth: depth.value }, fetchPolicy: 'no-cache' }),
    {
      next: ({ data }) => {
        const update = data?.orderBook;
        if (!update || update.symbol !== symbol.value) return;
        const r = applyBookUpdate(book.value, update);
        if (r.outcome === 'gap') {
          resyncs.value += 1;
          status.value = 'resyncing';
          live.restart();
          return;
        }
        book.value = r.book;
        if (r.outcome === 'snapshot') {
          status.value = 'live';
          error.value = null;
        }
      },
      refused: (e) => {
        status.value = 'offline';
        error.value = serverErrors(e)[0]?.message ?? 'Live book unavailable.';
        void fetchOnce(symbol.value);
      },
    },
    every(5_000),
  );

  watch(
    [symbol, depth],
    () => {
      book.value = emptyBook(symbol.value);
      status.value = 'loading';
      error.value = null;
      live.restart();
    },
    { immediate: true },
  );
  onBeforeUnmount(live.stop);

  return { book, status, error, resyncs };
}
