/** A fixed list of products with live quotes (Home's market watch), in the order given. */
import { onBeforeUnmount, ref, shallowRef, computed } from 'vue';
import { useApolloClient } from '@vue/apollo-composable';
import { ProductDocument, type ProductRowFragment } from '../graphql/generated/graphql';
import { useLiveQuotes } from './live-quotes';

export function useWatchlist(symbols: readonly string[]) {
  const client = useApolloClient().resolveClient();
  const found = new Map<string, ProductRowFragment>();
  const rows = shallowRef<ProductRowFragment[]>([]);
  const answered = new Set<string>();
  const loading = ref(true);
  const failed = ref(false);

  const subs = symbols.map((symbol) =>
    client.watchQuery({ query: ProductDocument, variables: { symbol } }).subscribe({
      next: ({ data }) => {
        if (data?.product) found.set(symbol, data.product);
        else found.delete(symbol);
        answered.add(symbol);
        rows.value = symbols.flatMap((s) => found.get(s) ?? []);
        loading.value = answered.size < symbols.length;
      },
      error: () => {
        answered.add(symbol);
        failed.value = true;
        loading.value = answered.size < symbols.length;
      },
    }),
  );
  onBeforeUnmount(() => subs.forEach((s) => s.unsubscribe()));

  useLiveQuotes(computed(() => rows.value.map((r) => r.symbol)));
  return { rows, loading, failed };
}
