/** A ref that follows another after it has been still for `ms` milliseconds (search boxes). */
import { customRef, watch, type Ref } from 'vue';

export function useDebounced<T>(source: Ref<T>, ms = 250): Readonly<Ref<T>> {
  let value = source.value;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return customRef<T>((track, trigger) => {
    watch(source, (v) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        value = v;
        trigger();
      }, ms);
    });
    return {
      get: () => {
        track();
        return value;
      },
      set: () => {},
    };
  });
}
