/**
 * The logged-in trader's open orders of one symbol (the ladder marks their levels), refreshed
 * when one of the trader's execution reports concerns that symbol.
 */
import { computed, type Ref } from 'vue';
import { useQuery } from '@vue/apollo-composable';
import { MyOrdersDocument } from '../graphql/generated/graphql';
import { OPEN_STATUSES } from '../lib/orders';
import { ownLevels } from '../lib/book';
import { useExecutionReports } from './execution-feed';

/** Open orders read per symbol: the levels of more than this many are not all marked. */
const PAGE_SIZE = 100;

export function useMyOpenOrders(symbol: Ref<string>) {
  const q = useQuery(MyOrdersDocument, () => ({ symbol: symbol.value, statuses: [...OPEN_STATUSES], first: PAGE_SIZE }), () => ({ fetchPolicy: 'cache-and-network' }));
  useExecutionReports((r) => {
    if (r.order.symbol === symbol.value) void q.refetch();
  });
  return computed(() => ownLevels(q.result.value?.myOrders.nodes ?? [], symbol.value));
}
