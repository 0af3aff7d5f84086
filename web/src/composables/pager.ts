/** Cursor pagination for `first`/`after` connections: a stack of the cursors of pages seen. */
import { computed, ref } from 'vue';

export function useCursorPager() {
  const cursors = ref<(string | null)[]>([null]);
  const after = computed(() => cursors.value.at(-1) ?? null);
  const page = computed(() => cursors.value.length);
  return {
    /** The `after` argument of the page shown. */
    after,
    /** 1-based page number. */
    page,
    next(endCursor: string | null | undefined) {
      if (endCursor) cursors.value = [...cursors.value, endCursor];
    },
    prev() {
      if (cursors.value.length > 1) cursors.value = cursors.value.slice(0, -1);
    },
    reset() {
      cursors.value = [null];
    },
  };
}
