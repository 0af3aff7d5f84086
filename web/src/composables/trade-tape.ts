/** The public tape of one symbol: the latest page over HTTP, then live trades, merged by TradeID. */
import { onBeforeUnmount, ref, shallowRef, watch, type Ref } from 'vue';
import { useApolloClient } from '@vue/apollo-composable';
import { TradesDocument, TradeTapeDocument, type TradeFieldsFragment } from '../graphql/generated/graphql';
import { mergeTrades } from '../lib/trades';
import { serverErrors } from '../lib/errors';
import { every, resilientSubscription } from '../lib/resilient-subscription';
import { useConnection } from './connection';

export function useTradeTape(symbol: Ref<string>, size = 200) {
  const client = useApolloClient().resolveClient();
  const connection = useConnection();
  const trades = shallowRef<TradeFieldsFragment[]>([]);
  const loading = ref(true);
  const error = ref<string | null>(null);

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

  // Each (re)subscription also loads the latest page: what traded while it was refused.
  const live = resilientSubscription(
    () => {
      const s = symbol.value;
      void load(s);
      return client.subscribe({ query: TradeTapeDocument, variables: { symbol: s }, fetchPolicy: 'no-cache' });
    },
    {
      next: ({ data }) => {
        if (data?.trades && data.trades.symbol === symbol.value) trades.value = mergeTrades(trades.value, [data.trades], size);
      },
    },
    every(5_000),
  );

  watch(
    symbol,
    () => {
      trades.value = [];
      loading.value = true;
      error.value = null;
      live.restart();
    },
    { immediate: true },
  );
  // After a dropped connection, fetch what was missed (the subscription resumes by itself).
  watch(
    () => connection.state.value.resumes,
    () => void load(symbol.value),
  );
  onBeforeUnmount(live.stop);

  return { trades, loading, error };
}
