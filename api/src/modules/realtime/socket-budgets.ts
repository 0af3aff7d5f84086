import type { ErrorCode } from '../../errors.js';
import type { WS_REFUSAL_REASONS } from '../../metrics.js';

/** Why a socket or operation was refused: the `reason` clients get and the metric's label. */
export type RefusalReason = (typeof WS_REFUSAL_REASONS)[number];

/**
 * What the WebSocket server lets a remote address, and all of them together, hold: sockets,
 * active operations, and distinct query texts (each distinct text is a parsed document kept in
 * memory and a separate execution per public update, see shared.ts). Pure bookkeeping: the
 * caller reserves before it does the work and releases when the socket or operation ends.
 * Check and reservation happen in one synchronous call, so concurrent requests cannot both pass
 * a check that only one of them fits.
 */
export interface SocketLimits {
  readonly connectionsPerAddress: number;
  readonly connections: number;
  readonly operationsPerAddress: number;
  readonly operations: number;
  readonly documentsPerAddress: number;
  readonly documents: number;
  /** Characters of all distinct query texts together. */
  readonly documentChars: number;
  /**
   * Complexity (limits.ts: fields, times list sizes) of all distinct documents together: what
   * one public update costs to execute for all of them, since each distinct text is executed
   * on its own.
   */
  readonly documentComplexity: number;
}

/** A coded refusal: the socket is closed (connections) or the operation gets an error. */
export interface Refusal {
  readonly code: Extract<ErrorCode, 'TOO_MANY_REQUESTS' | 'SERVICE_UNAVAILABLE'>;
  readonly reason: RefusalReason;
  readonly message: string;
}

/** An accepted operation's hold on the budgets, given back with {@link SocketBudgets.release}. */
export interface Reservation {
  readonly bucket: string;
  readonly text: string;
  released: boolean;
}

interface AddressUse {
  sockets: number;
  operations: number;
  /** Query text → active operations of this address using it. */
  readonly texts: Map<string, number>;
}

export class SocketBudgets {
  private readonly byAddress = new Map<string, AddressUse>();
  /** Query text → active operations using it, over every address. */
  private readonly texts = new Map<string, number>();
  /** Query text → the complexity it was admitted with (see {@link weigh}). */
  private readonly weights = new Map<string, number>();
  private sockets = 0;
  private operations = 0;
  private chars = 0;
  private weight = 0;

  constructor(private readonly limits: SocketLimits) {}

  /** Takes a socket slot for `bucket` (an {@link addressBucket}), or says why not. */
  openSocket(bucket: string): Refusal | undefined {
    const use = this.use(bucket);
    if (use.sockets >= this.limits.connectionsPerAddress) {
      this.dropIfIdle(bucket, use);
      return { code: 'TOO_MANY_REQUESTS', reason: 'TOO_MANY_CONNECTIONS_FROM_ADDRESS', message: `At most ${this.limits.connectionsPerAddress} sockets per address.` };
    }
    if (this.sockets >= this.limits.connections) {
      this.dropIfIdle(bucket, use);
      return { code: 'SERVICE_UNAVAILABLE', reason: 'CONNECTION_CAPACITY', message: 'The server holds as many sockets as it can; try again later or another replica.' };
    }
    use.sockets++;
    this.sockets++;
    return undefined;
  }

  /** Gives back a slot taken by {@link openSocket}. */
  closeSocket(bucket: string): void {
    const use = this.byAddress.get(bucket);
    if (!use || use.sockets === 0) return;
    use.sockets--;
    this.sockets--;
    this.dropIfIdle(bucket, use);
  }

  /**
   * Reserves one operation with query text `text` for `bucket`, or says why not. A text new to
   * the address counts against its distinct documents; a text new to the process against the
   * process's documents and characters.
   */
  reserve(bucket: string, text: string): Reservation | Refusal {
    const use = this.use(bucket);
    const refusal = this.check(use, text);
    if (refusal) {
      this.dropIfIdle(bucket, use);
      return refusal;
    }
    use.operations++;
    this.operations++;
    use.texts.set(text, (use.texts.get(text) ?? 0) + 1);
    const global = this.texts.get(text) ?? 0;
    if (global === 0) this.chars += text.length;
    this.texts.set(text, global + 1);
    return { bucket, text, released: false };
  }

  /**
   * Gives back an operation's reservation (once; later calls do nothing). True when no active
   * operation uses its query text any more (whatever was kept per text can go).
   */
  release(r: Reservation): boolean {
    if (r.released) return false;
    r.released = true;
    const use = this.byAddress.get(r.bucket);
    if (use) {
      use.operations--;
      const n = use.texts.get(r.text)! - 1;
      if (n === 0) use.texts.delete(r.text);
      else use.texts.set(r.text, n);
      this.dropIfIdle(r.bucket, use);
    }
    this.operations--;
    const g = this.texts.get(r.text)! - 1;
    if (g === 0) {
      this.texts.delete(r.text);
      this.chars -= r.text.length;
      this.weight -= this.weights.get(r.text) ?? 0;
      this.weights.delete(r.text);
      return true;
    }
    this.texts.set(r.text, g);
    return false;
  }

  /**
   * Admits the complexity of a reserved operation's text, once per text while it is in use (the
   * first operation's figure stands for the text), or says why not; on a refusal the caller
   * releases the reservation.
   */
  weigh(r: Reservation, complexity: number): Refusal | undefined {
    if (this.weights.has(r.text)) return undefined;
    if (this.weight + complexity > this.limits.documentComplexity) {
      return { code: 'SERVICE_UNAVAILABLE', reason: 'DOCUMENT_CAPACITY', message: 'The server holds as many subscriptions as it can; try again later or another replica.' };
    }
    this.weights.set(r.text, complexity);
    this.weight += complexity;
    return undefined;
  }

  /** What is held now (tests, metrics). */
  usage(): { sockets: number; operations: number; documents: number; documentChars: number; documentComplexity: number; addresses: number } {
    return { sockets: this.sockets, operations: this.operations, documents: this.texts.size, documentChars: this.chars, documentComplexity: this.weight, addresses: this.byAddress.size };
  }

  private check(use: AddressUse, text: string): Refusal | undefined {
    const l = this.limits;
    if (use.operations >= l.operationsPerAddress) {
      return { code: 'TOO_MANY_REQUESTS', reason: 'TOO_MANY_SUBSCRIPTIONS_FROM_ADDRESS', message: `At most ${l.operationsPerAddress} active subscriptions per address.` };
    }
    if (!use.texts.has(text) && use.texts.size >= l.documentsPerAddress) {
      return { code: 'TOO_MANY_REQUESTS', reason: 'TOO_MANY_DOCUMENTS_FROM_ADDRESS', message: `At most ${l.documentsPerAddress} distinct query texts in use per address: reuse your documents and pass values as variables.` };
    }
    const full = 'The server holds as many subscriptions as it can; try again later or another replica.';
    if (this.operations >= l.operations) return { code: 'SERVICE_UNAVAILABLE', reason: 'SUBSCRIPTION_CAPACITY', message: full };
    if (!this.texts.has(text) && (this.texts.size >= l.documents || this.chars + text.length > l.documentChars)) {
      return { code: 'SERVICE_UNAVAILABLE', reason: 'DOCUMENT_CAPACITY', message: full };
    }
    return undefined;
  }

  private use(bucket: string): AddressUse {
    let use = this.byAddress.get(bucket);
    if (!use) {
      use = { sockets: 0, operations: 0, texts: new Map() };
      this.byAddress.set(bucket, use);
    }
    return use;
  }

  private dropIfIdle(bucket: string, use: AddressUse): void {
    if (use.sockets === 0 && use.operations === 0) this.byAddress.delete(bucket);
  }
}

/** True when `r` is a refusal rather than a reservation. */
export const isRefusal = (r: Reservation | Refusal): r is Refusal => 'reason' in r;
