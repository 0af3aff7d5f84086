/**
 * Live quotes for a set of symbols. Each quote the subscription sends is written to the Apollo
 * cache (Quote is keyed by symbol), so every product row showing that symbol updates itself.
 */
import { computed, type Ref } from 'vue';
import { useSubscription } from '@vue/apollo-composable';
import { LiveQuotesDocument, type QuoteFieldsFragment } from '../graphql/generated/graphql';

export function useLiveQuotes(symbols: Ref<readonly string[]>, onQuote?: (quote: QuoteFieldsFragment) => void) {
  // A stable, sorted, de-duplicated list: re-subscribe only when the set really changes.
  const key = computed(() => [...new Set(symbols.value)].sort().join(','));
  const list = computed(() => (key.value ? key.value.split(',') : []));
  const sub = useSubscription(LiveQuotesDocument, () => ({ symbols: list.value }), () => ({ enabled: list.value.length > 0 }));
  if (onQuote) {
    sub.onResult((r) => {
      const q = r.data?.quotes;
      if (q) onQuote(q);
    });
  }
  return sub;
}
