/** The public tape of one symbol: the latest page over HTTP, then live trades, merged by TradeID. */
import { onBeforeUnmount, ref, shallowRef, watch, type Ref } from 'vue';
import { useApolloClient } from '@vue/apollo-composable';
import { TradesDocument, TradeTapeDocument, type TradeFieldsFragment } from '../graphql/generated/graphql';
import { mergeTrades } from '../lib/trades';
import { serverErrors } from '../lib/errors';
import { useConnection } from './connection';

export function useTradeTape(symbol: Ref<string>, size = 200) {
  const client = useApolloClient().resolveClient();
  const connection = useConnection();
  const trades = shallowRef<TradeFieldsFragment[]>([]);
  const loading = ref(true);
  const error = ref<string | null>(null);
  let sub: { unsubscribe(): void } | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const load = async (s: string) => {
    try {
      const { data } = await client.query({ query: TradesDocument, variables: { symbol: s, first: size }, fetchPolicy: 'network-only' });
      if (s === symbol.value) trades.value = mergeTrades(trades.value, data.trades, size);
    } catch (e) {
      error.value = serverErrors(e)[0]?.message ?? 'Cannot load trades.';
    } finally {
      if (s === symbol.value) loading.value = false;
    }
  };

  const subscribe = (s: string) => {
    clearTimeout(retry);
    sub?.unsubscribe();
    sub = client.subscribe({ query: TradeTapeDocument, variables: { symbol: s }, fetchPolicy: 'no-cache' }).subscribe({
      next: ({ data }) => {
        if (data?.trades && s === symbol.value) trades.value = mergeTrades(trades.value, [data.trades], size);
      },
      error: () => {
        sub = null;
        retry = setTimeout(() => {
          void load(s);
          subscribe(s);
        }, 5_000);
      },
    });
  };

  watch(
    symbol,
    (s) => {
      trades.value = [];
      loading.value = true;
      error.value = null;
      subscribe(s);
      void load(s);
    },
    { immediate: true },
  );
  // After a dropped connection, fetch what was missed (the subscription resumes by itself).
  watch(
    () => connection.state.value.resumes,
    () => void load(symbol.value),
  );
  onBeforeUnmount(() => {
    clearTimeout(retry);
    sub?.unsubscribe();
  });

  return { trades, loading, error };
}
