/** Symbol autocomplete: a few catalog matches for what is being typed (debounced). */
import { computed, type Ref } from 'vue';
import { useQuery } from '@vue/apollo-composable';
import { ProductSuggestionsDocument } from '../graphql/generated/graphql';
import { useDebounced } from './debounced';

/** Suggestions shown at once. */
const PAGE_SIZE = 8;

export function useSymbolSuggestions(text: Ref<string>) {
  const typed = useDebounced(text, 200);
  const q = computed(() => typed.value.trim());
  const { result, loading } = useQuery(ProductSuggestionsDocument, () => ({ query: q.value, first: PAGE_SIZE }), () => ({ enabled: q.value.length > 0 }));
  return {
    /** The matches, best first. */
    list: computed(() => (q.value ? (result.value?.products.nodes ?? []) : [])),
    /** Whether the list is for what is typed now (not still waiting for the debounce or the answer). */
    current: computed(() => q.value === text.value.trim() && !loading.value),
  };
}
