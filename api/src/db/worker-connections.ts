import { Worker } from 'node:worker_threads';
import { format, type ConnectionOptions } from 'mysql2';

/** A connection as the order path drives it: mysql2's `query` (what knex calls on a connection too). */
export interface QueryConnection {
  query(sql: string | { readonly sql: string }, values: readonly unknown[] | undefined, cb: (err: Error | null, results?: unknown) => void): void;
}

/** Where a batch's transaction gets its connection (see BatchSql.begin). */
export interface ConnectionSource {
  acquire(): Promise<QueryConnection>;
  /** Gives a connection back; one that failed is retired (its transaction, if any, is gone). */
  release(connection: QueryConnection): void;
  close(): Promise<void>;
}

type Callback = (err: Error | null, results?: unknown) => void;

/** The driver's error fields as the worker sends them. */
interface ErrorFields {
  readonly message: string;
  readonly code?: string;
  readonly errno?: number;
  readonly sqlState?: string;
  readonly sqlMessage?: string;
  readonly fatal?: boolean;
}

const toError = (f: ErrorFields): Error => Object.assign(new Error(f.message), f);
const LOST: ErrorFields = { message: 'Connection lost: the order path worker stopped', code: 'PROTOCOL_CONNECTION_LOST', fatal: true };

/** One connection number of the worker, with the worker generation it belongs to. */
class Handle implements QueryConnection {
  failed = false;
  constructor(
    private readonly source: WorkerConnections,
    readonly number: number,
    readonly generation: number,
  ) {}

  query(sql: string | { readonly sql: string }, values: readonly unknown[] | undefined, cb: Callback): void {
    this.source.send(this, typeof sql === 'string' ? sql : sql.sql, values ?? [], (err, results) => {
      if (err && (err as { fatal?: boolean }).fatal) this.failed = true;
      cb(err, results);
    });
  }
}

/**
 * The order path's MySQL connections, driven from a worker thread (sql-worker.ts): the event
 * loop hands a batch's SQL and values over and gets the rows back; escaping, socket writes and
 * packet parsing happen beside it, on the other core. At most `max` connections.
 *
 * A connection that failed fatally, or any connection of a worker that stopped, is never used
 * again: its transaction is gone, and a later statement must not run outside it. A stopped
 * worker is started again on the next acquire.
 */
export class WorkerConnections implements ConnectionSource {
  private worker: Worker | undefined;
  private generation = 0;
  private nextMessage = 1;
  private nextNumber = 1;
  private readonly pending = new Map<number, Callback>();
  private readonly free: Handle[] = [];
  private readonly waiting: ((h: Handle) => void)[] = [];
  /** Connection numbers handed out or free. */
  private count = 0;
  private closed = false;
  /** How dates are written into SQL (the connections' own setting). */
  private readonly timezone: string;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly max: number,
  ) {
    this.timezone = options.timezone ?? 'local';
  }

  acquire(): Promise<QueryConnection> {
    if (this.closed) return Promise.reject(toError({ ...LOST, message: 'Pool is closed' }));
    this.start();
    const h = this.free.pop();
    if (h) return Promise.resolve(h);
    if (this.count < this.max) {
      this.count++;
      return Promise.resolve(new Handle(this, this.nextNumber++, this.generation));
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(connection: QueryConnection): void {
    const h = connection as Handle;
    // Its worker stopped: the connection is gone, and no longer counted.
    if (h.generation !== this.generation) return this.serveWaiting();
    if (h.failed) {
      this.worker?.postMessage({ close: h.number });
      this.count--;
      return this.serveWaiting();
    }
    const next = this.waiting.shift();
    if (next) next(h);
    else this.free.push(h);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.worker?.terminate();
  }

  /** Hands new connections to waiting acquirers while there is room. */
  private serveWaiting(): void {
    while (this.waiting.length > 0 && this.count < this.max && !this.closed) {
      this.start();
      this.count++;
      this.waiting.shift()!(new Handle(this, this.nextNumber++, this.generation));
    }
  }

  /** Sends one query (from a {@link Handle}). */
  send(h: Handle, sql: string, values: readonly unknown[], cb: Callback): void {
    if (h.generation !== this.generation || !this.worker) {
      h.failed = true;
      queueMicrotask(() => cb(toError(LOST)));
      return;
    }
    let text: string;
    try {
      // Bound here: a string crosses to the worker far cheaper than an array of values (dates, numbers).
      text = values.length > 0 ? format(sql, values as Parameters<typeof format>[1], false, this.timezone) : sql;
    } catch (e) {
      queueMicrotask(() => cb(e as Error));
      return;
    }
    const id = this.nextMessage++;
    this.pending.set(id, cb);
    this.worker.postMessage({ id, conn: h.number, sql: text });
  }

  private start(): void {
    if (this.worker) return;
    this.generation++;
    this.free.length = 0;
    // Under the TypeScript test runner the worker is the source file, loaded through tsx's loader.
    const worker = import.meta.url.endsWith('.js')
      ? new Worker(new URL('./sql-worker.js', import.meta.url), { workerData: this.options })
      : new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./sql-worker.ts', import.meta.url).href)}); })`, { eval: true, workerData: this.options });
    worker.unref();
    worker.on('message', (m: { id: number; results?: unknown; error?: ErrorFields }) => {
      const cb = this.pending.get(m.id);
      this.pending.delete(m.id);
      cb?.(m.error ? toError(m.error) : null, m.results);
    });
    const stopped = () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      // Every connection of this worker is gone: handles of its generation fail from here on.
      this.count = 0;
      this.free.length = 0;
      const callbacks = [...this.pending.values()];
      this.pending.clear();
      for (const cb of callbacks) cb(toError(LOST));
      this.serveWaiting();
    };
    worker.on('error', stopped);
    worker.on('exit', stopped);
    this.worker = worker;
  }
}
