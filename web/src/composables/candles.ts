/** Server candles of one symbol and frame, moved by the live tape between fetches. */
import { computed, ref, watch, type Ref } from 'vue';
import { useQuery } from '@vue/apollo-composable';
import { CandlesDocument } from '../graphql/generated/graphql';
import { FRAMES, countedUpTo, foldTrades, fromApi, type Frame } from '../lib/candles';
import type { TapeTrade } from '../lib/trades';
import { serverErrors } from '../lib/errors';
import { useConnection } from './connection';

/** How many candles the chart asks for. */
export const PAGE_SIZE = 200;

export function useCandles(symbol: Ref<string>, frame: Ref<Frame>, tape: Ref<readonly TapeTrade[]>) {
  const connection = useConnection();
  const key = computed(() => `${symbol.value}|${frame.value}`);
  const query = useQuery(CandlesDocument, () => ({ symbol: symbol.value, frame: frame.value, first: PAGE_SIZE }), { fetchPolicy: 'network-only' });
  /** Which symbol and frame the result on hand is for: another's is never shown, nor folded into. */
  const resultFor = ref<string | null>(null);
  query.onResult((r) => {
    if (!r.loading && r.data) resultFor.value = key.value;
  });
  watch(
    () => connection.state.value.resumes,
    () => void query.refetch(),
  );
  const seconds = computed(() => FRAMES.find((f) => f.frame === frame.value)!.seconds);
  const candles = computed(() => {
    const list = resultFor.value === key.value ? (query.result.value?.candles ?? []) : [];
    return foldTrades(fromApi(list), tape.value, seconds.value, countedUpTo(list));
  });
  const error = computed(() => (query.error.value ? (serverErrors(query.error.value)[0]?.message ?? 'Cannot load the chart.') : null));
  return { candles, loading: query.loading, error };
}
