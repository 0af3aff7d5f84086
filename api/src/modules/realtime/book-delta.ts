import type { LevelWire } from './messages.js';

/**
 * The levels that differ between two views of one side of a book: changed or new levels with
 * their new quantity and count, vanished levels with quantity 0. Best-first order of `next` is
 * kept, vanished levels follow.
 */
export function diffLevels(prev: readonly LevelWire[], next: readonly LevelWire[]): LevelWire[] {
  const before = new Map(prev.map((l) => [l.price, l]));
  const out: LevelWire[] = [];
  for (const l of next) {
    const p = before.get(l.price);
    if (!p || p.qty !== l.qty || p.count !== l.count) out.push(l);
    before.delete(l.price);
  }
  for (const gone of before.values()) out.push({ price: gone.price, qty: 0, count: 0 });
  return out;
}
