/** Toast notifications (fills, rejects, confirmations), announced through an aria-live region. */
import { inject, reactive, type InjectionKey } from 'vue';

export type ToastKind = 'info' | 'success' | 'error' | 'buy' | 'sell';

export interface Toast {
  readonly id: number;
  readonly kind: ToastKind;
  readonly title: string;
  readonly body?: string;
}

export interface Toasts {
  readonly items: readonly Toast[];
  push(toast: Omit<Toast, 'id'>, ms?: number): number;
  dismiss(id: number): void;
}

export const ToastsKey: InjectionKey<Toasts> = Symbol('toasts');

export function createToasts(max = 6): Toasts {
  const items = reactive<Toast[]>([]);
  let next = 1;
  const dismiss = (id: number) => {
    const i = items.findIndex((t) => t.id === id);
    if (i >= 0) items.splice(i, 1);
  };
  return {
    items,
    push(toast, ms = 6000) {
      const id = next++;
      items.push({ id, ...toast });
      while (items.length > max) items.shift();
      if (ms > 0) setTimeout(() => dismiss(id), ms);
      return id;
    },
    dismiss,
  };
}

export function useToasts(): Toasts {
  const t = inject(ToastsKey);
  if (!t) throw new Error('useToasts() outside the app');
  return t;
}
