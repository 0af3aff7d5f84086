import { unavailable, type DomainError } from '../../errors.js';

/**
 * Admission control for order-path work (placeOrder, cancelOrder, amendOrder) at the edge,
 * before any GraphQL parsing: under overload, the requests beyond what the exchange can answer
 * in time are refused at once and cheaply (SERVICE_UNAVAILABLE/OVERLOADED with a retry hint)
 * instead of queueing without bound, so the accepted ones keep a bounded latency and the
 * refusals cost little of the CPU the accepted ones need.
 *
 * A request is refused only when both say the system is full:
 * - the orders in the system (admitted, not yet answered) reach the limit of Little's law: the
 *   rate the exchange is answering at times the target time in the system, never below a floor
 *   (a server answering 2,000 orders/s with a 100 ms target holds 200 at once); and
 * - the oldest of them has been in the system longer than the target: a standing queue, not a
 *   burst (as CoDel tells a queue that drains from one that does not). A burst after a quiet
 *   spell, when the measured rate is still low, is admitted; a server falling behind is not fed.
 */
export interface AdmissionOptions {
  /** Orders in the system always admitted, whatever the rate (ORDER_ADMISSION_MIN_IN_FLIGHT). */
  readonly minInFlight: number;
  /** Target time an admitted order spends in the system, in ms (ORDER_ADMISSION_TARGET_MS); 0 disables admission control. */
  readonly targetMs: number;
  /** Milliseconds clock (tests). */
  readonly now?: () => number;
  /** Called for each refusal (metrics). */
  readonly onRefused?: (reason: string) => void;
}

/** The window over which the answered rate is measured. */
const RATE_WINDOW_MS = 250;

export class Admission {
  /** Admission time of each order in the system, oldest first (a Map keeps insertion order). */
  private readonly entries = new Map<number, number>();
  private nextId = 0;
  private answeredInWindow = 0;
  private windowStart: number;
  /** Orders answered per ms, as last measured (a smoothed average of windows). */
  private ratePerMs = 0;
  private readonly now: () => number;

  constructor(private readonly options: AdmissionOptions) {
    this.now = options.now ?? (() => performance.now());
    this.windowStart = this.now();
  }

  /** Orders admitted and not yet answered. */
  get admitted(): number {
    return this.entries.size;
  }

  /** The current limit on orders in the system. */
  get limit(): number {
    this.roll();
    return Math.max(this.options.minInFlight, Math.floor(this.ratePerMs * this.options.targetMs));
  }

  /**
   * Admits one order-path request: returns its release function (call it once the request is
   * answered, whatever the outcome), or the refusal to answer with.
   */
  enter(): { release: () => void } | { refusal: DomainError } {
    const now = this.now();
    const inFlight = this.entries.size;
    if (this.options.targetMs > 0 && inFlight >= this.limit && now - this.oldest() > this.options.targetMs) {
      this.options.onRefused?.('OVERLOADED');
      // The time for the orders ahead to be answered at the current rate, within [10 ms, 1 s].
      const retryAfterMs = Math.min(1000, Math.max(10, Math.ceil(inFlight / Math.max(this.ratePerMs, 0.001))));
      return { refusal: unavailable('OVERLOADED', 'The exchange is at capacity; nothing was done.', retryAfterMs) };
    }
    const id = this.nextId++;
    this.entries.set(id, now);
    return {
      release: () => {
        if (this.entries.delete(id)) this.answeredInWindow++;
      },
    };
  }

  /** Admission time of the oldest order in the system. */
  private oldest(): number {
    for (const t of this.entries.values()) return t;
    return Infinity;
  }

  private roll(): void {
    const t = this.now();
    const elapsed = t - this.windowStart;
    if (elapsed < RATE_WINDOW_MS) return;
    const rate = this.answeredInWindow / elapsed;
    // Smoothed, and quick to follow the rate up (a burst after a quiet spell).
    this.ratePerMs = elapsed > 4 * RATE_WINDOW_MS ? rate : Math.max(rate, 0.5 * this.ratePerMs + 0.5 * rate);
    this.answeredInWindow = 0;
    this.windowStart = t;
  }
}

/** A document that runs order-path work (a cheap textual test: no parse before admission). */
const ORDER_PATH_FIELD = /\b(?:placeOrder|cancelOrder|amendOrder)\b/;

/** Whether a GraphQL document (its text) names an order-path mutation. */
export function isOrderPathDocument(query: unknown): boolean {
  return typeof query === 'string' && ORDER_PATH_FIELD.test(query) && !/^\s*(?:query|subscription)\b/.test(query);
}

/** The HTTP side: admits order-path operations through `admission` ({@link GraphQLHttpOptions.admit}). */
export function admitOrderPath(admission: Admission) {
  return (operation: { readonly query?: unknown }) => {
    if (!isOrderPathDocument(operation.query)) return undefined;
    const verdict = admission.enter();
    if ('release' in verdict) return verdict;
    const e = verdict.refusal;
    return { refusal: { code: e.code, reason: e.reason, message: e.message, retryAfterMs: e.retryAfterMs ?? 1000 } };
  };
}
