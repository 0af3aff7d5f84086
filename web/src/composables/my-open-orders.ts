/**
 * The logged-in trader's open orders of one symbol (the ladder marks their levels), refreshed
 * when one of the trader's execution reports concerns that symbol.
 */
import { computed, type Ref } from 'vue';
import { useQuery } from '@vue/apollo-composable';
import { MyOrdersDocument } from '../graphql/generated/graphql';
import { OPEN_STATUSES } from '@trading-app/api/vocabulary';
import { ownLevels } from '../lib/book';
import { useExecutionReports } from './execution-feed';

/** Open orders read per symbol: the levels of more than this many are not all marked. */
const PAGE_SIZE = 100;

export function useMyOpenOrders(symbol: Ref<string>) {
  const q = useQuery(MyOrdersDocument, () => ({ symbol: symbol.value, statuses: [...OPEN_STATUSES], first: PAGE_SIZE }), () => ({ fetchPolicy: 'cache-and-network' }));
  // A burst of reports costs one refetch at a time, and one more after it if any came meanwhile.
  let busy = false;
  let again = false;
  const refresh = async () => {
    if (busy) return void (again = true);
    busy = true;
    try {
      await q.refetch();
    } catch {
      // The list keeps what it had; the next report tries again.
    } finally {
      busy = false;
      if (again) {
        again = false;
        void refresh();
      }
    }
  };
  useExecutionReports((r) => {
    if (r.order.symbol === symbol.value) void refresh();
  });
  return computed(() => ownLevels(q.result.value?.myOrders.nodes ?? [], symbol.value));
}
