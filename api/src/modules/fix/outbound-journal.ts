/** An application message as we first sent it, kept for a ResendRequest. */
export interface JournalEntry {
  readonly msgType: string;
  /** The message body as given to the encoder (no StandardHeader). */
  readonly body: Readonly<Record<string, unknown>>;
  /** SendingTime (52) of the original: OrigSendingTime (122) of the resend. */
  readonly sentAt: Date;
}

/**
 * The last application messages sent on one FIX session, by MsgSeqNum, so a ResendRequest can
 * be answered with the originals (PossDupFlag=Y). Bounded: the oldest entries fall out, and
 * it lives in memory only, so after a restart (or on another replica) every requested message
 * is gap-filled instead. Administrative messages are never kept: they are always gap-filled.
 */
export class OutboundJournal {
  private readonly entries = new Map<number, JournalEntry>();

  constructor(private readonly capacity: number) {}

  /** Records the application message sent as `seqNum`. */
  record(seqNum: number, entry: JournalEntry): void {
    this.entries.set(seqNum, entry);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** The application message sent as `seqNum`, if it is still held. */
  get(seqNum: number): JournalEntry | undefined {
    return this.entries.get(seqNum);
  }

  /** Forgets everything (sequence numbers were reset). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
