import { DomainError } from '../../errors.js';

/** Who waits for a hash: logins are served before sign-ups, so a sign-up flood cannot delay them. */
export type HashLane = 'login' | 'signUp';

/** What a {@link HashQueue} has in hand, for metrics and tests. */
export interface HashQueueStats {
  readonly running: number;
  readonly waiting: Readonly<Record<HashLane, number>>;
  /** Tasks refused because their lane's queue was full, since start. */
  readonly refused: Readonly<Record<HashLane, number>>;
}

/**
 * Bounds password hashing (scrypt: ~32 MiB and tens of milliseconds of a libuv thread each).
 * At most `concurrency` tasks run; each lane has its own queue of at most `maxQueued` waiting
 * tasks, and a task arriving at a full queue is refused at once with TOO_MANY_REQUESTS /
 * AUTH_BUSY (nothing was started). A freed slot goes to a waiting login before any sign-up.
 */
export class HashQueue {
  private running = 0;
  private readonly queues: Record<HashLane, (() => void)[]> = { login: [], signUp: [] };
  private readonly refusedCount: Record<HashLane, number> = { login: 0, signUp: 0 };

  constructor(
    private readonly concurrency: number,
    private readonly maxQueued: number,
  ) {}

  /** Runs `task` when a slot is free; refuses when `lane`'s queue is full. */
  async run<T>(lane: HashLane, task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      const queue = this.queues[lane];
      if (queue.length >= this.maxQueued) {
        this.refusedCount[lane]++;
        throw new DomainError('TOO_MANY_REQUESTS', 'AUTH_BUSY', 'The server is busy checking passwords; try again in a few seconds.');
      }
      // The slot is handed over by release() (running stays counted), so no one can cut in.
      await new Promise<void>((resolve) => queue.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  stats(): HashQueueStats {
    return {
      running: this.running,
      waiting: { login: this.queues.login.length, signUp: this.queues.signUp.length },
      refused: { ...this.refusedCount },
    };
  }

  private release(): void {
    const next = this.queues.login.shift() ?? this.queues.signUp.shift();
    if (next) next();
    else this.running--;
  }
}
