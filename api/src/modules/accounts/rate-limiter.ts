/**
 * A fixed-window failure counter keyed by string (username, address). In-process: each replica
 * counts on its own, which bounds an attacker at replicas × limit per window.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `key` has used up its failures in the current window. */
  blocked(key: string): boolean {
    const w = this.windows.get(key);
    return w !== undefined && this.now() - w.start < this.windowMs && w.count >= this.limit;
  }

  /** Records one failure for `key`. */
  fail(key: string): void {
    const t = this.now();
    const w = this.windows.get(key);
    if (!w || t - w.start >= this.windowMs) this.windows.set(key, { start: t, count: 1 });
    else w.count++;
    if (this.windows.size > 100_000) this.prune(t);
  }

  /** Forgets `key` (after a success). */
  reset(key: string): void {
    this.windows.delete(key);
  }

  private prune(t: number): void {
    for (const [k, w] of this.windows) if (t - w.start >= this.windowMs) this.windows.delete(k);
  }
}
