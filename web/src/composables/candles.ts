/** Server candles of one symbol and frame, moved by the live tape between fetches. */
import { computed, ref, watch, type Ref } from 'vue';
import { useQuery } from '@vue/apollo-composable';
import { CandlesDocument } from '../graphql/generated/graphql';
import { FRAMES, foldTrades, fromApi, type Frame } from '../lib/candles';
import type { TapeTrade } from '../lib/trades';
import { serverErrors } from '../lib/errors';
import { useConnection } from './connection';

/** How many candles the chart asks for. */
export const PAGE_SIZE = 200;

export function useCandles(symbol: Ref<string>, frame: Ref<Frame>, tape: Ref<readonly TapeTrade[]>) {
  const connection = useConnection();
  const query = useQuery(CandlesDocument, () => ({ symbol: symbol.value, frame: frame.value, first: PAGE_SIZE }), { fetchPolicy: 'network-only' });
  /** The newest TradeID of the tape when the server's candles arrived: later trades are folded in here. */
  const since = ref(Number.POSITIVE_INFINITY);
  const newestTrade = () => tape.value.reduce((m, t) => Math.max(m, Number(t.tradeId)), 0);
  query.onResult((r) => {
    if (!r.loading) since.value = newestTrade();
  });
  watch([symbol, frame], () => (since.value = Number.POSITIVE_INFINITY));
  watch(
    () => connection.state.value.resumes,
    () => void query.refetch(),
  );
  const seconds = computed(() => FRAMES.find((f) => f.frame === frame.value)!.seconds);
  const candles = computed(() => foldTrades(fromApi(query.result.value?.candles ?? []), tape.value, seconds.value, since.value));
  const error = computed(() => (query.error.value ? (serverErrors(query.error.value)[0]?.message ?? 'Cannot load the chart.') : null));
  return { candles, loading: query.loading, error };
}
