/**
 * Cursor pagination kept in the URL: the cursors of the pages before this one are the repeated
 * query parameter `param`, so a reload shows the same page and back/forward step through pages.
 */
import { computed } from 'vue';
import { useRoute, useRouter } from 'vue-router';
import { patchQuery, queryList } from '../lib/url-state';

export function useUrlPager(param = 'after') {
  const route = useRoute();
  const router = useRouter();
  const cursors = computed(() => queryList(route.query[param]));
  return {
    /** The `after` argument of the page shown. */
    after: computed(() => cursors.value.at(-1) ?? null),
    /** 1-based page number. */
    page: computed(() => cursors.value.length + 1),
    next(endCursor: string | null | undefined) {
      if (endCursor) void router.push({ query: patchQuery(route.query, { [param]: [...cursors.value, endCursor] }) });
    },
    prev() {
      if (cursors.value.length) void router.push({ query: patchQuery(route.query, { [param]: cursors.value.slice(0, -1) }) });
    },
    /** The query patch that goes back to the first page (to merge with a filter change). */
    firstPage: () => ({ [param]: undefined }),
  };
}
