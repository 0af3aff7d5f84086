/**
 * Screen state in the URL's query. Changes are pushed as history entries (back/forward walk
 * them, a reload keeps them). Changes made while an earlier one is still navigating build on it,
 * so quick clicks are never lost. Cursor pagination keeps the cursors of the pages before this
 * one as the repeated parameter `after`.
 */
import { computed } from 'vue';
import { useRoute, useRouter, type LocationQuery } from 'vue-router';
import { patchQuery, queryList } from '../lib/url-state';

/** The query of the navigation in flight, if any (one router per app). */
let pending: LocationQuery | null = null;

export function useQueryUpdate() {
  const route = useRoute();
  const router = useRouter();
  return (patch: Parameters<typeof patchQuery>[1], mode: 'push' | 'replace' = 'push') => {
    const query = patchQuery(pending ?? route.query, patch) as LocationQuery;
    pending = query;
    void router[mode]({ query }).finally(() => {
      if (pending === query) pending = null;
    });
  };
}

export function useUrlPager(param = 'after') {
  const route = useRoute();
  const update = useQueryUpdate();
  const cursors = computed(() => queryList(route.query[param]));
  return {
    /** The `after` argument of the page shown. */
    after: computed(() => cursors.value.at(-1) ?? null),
    /** 1-based page number. */
    page: computed(() => cursors.value.length + 1),
    next(endCursor: string | null | undefined) {
      if (endCursor) update({ [param]: [...cursors.value, endCursor] });
    },
    prev() {
      if (cursors.value.length) update({ [param]: cursors.value.slice(0, -1) });
    },
    /** The query patch that goes back to the first page (to merge with a filter change). */
    firstPage: () => ({ [param]: undefined }),
  };
}
