/**
 * The pre-trade limits of one product as the API states them now (price band, order size, the
 * caller's position), for the order ticket to mirror. Refetched when the last price moves (the
 * band moves with it), after each order (the position and open orders change) and every 15 s.
 */
import { computed, watch } from 'vue';
import { useQuery } from '@vue/apollo-composable';
import { RiskLimitsDocument } from '../graphql/generated/graphql';

export function useRiskLimits(symbol: () => string, last: () => string | null | undefined) {
  // Admins may change limits at any time: a slow poll keeps the mirror close (the server decides anyway).
  const q = useQuery(RiskLimitsDocument, () => ({ symbol: symbol() }), { fetchPolicy: 'network-only', pollInterval: 15_000 });
  watch(last, () => void q.refetch());
  return {
    limits: computed(() => q.result.value?.riskLimits ?? null),
    refetch: () => q.refetch(),
  };
}
