/**
 * A minimal FIX 4.4 initiator for the chaos run: logs on with ResetSeqNumFlag=Y (after a crash
 * there is nothing to resend), sends NewOrderSingles and waits for the ExecutionReports of their
 * ClOrdIDs, answers TestRequests. When the connection drops, the caller logs on again and resends
 * the unanswered order with the same ClOrdID, as a real client would. Loopback only.
 */
import { connect, type Socket } from 'node:net';

const SOH = '\x01';
const CHECKSUM_FIELD = new RegExp(`(^|${SOH})10=\\d{3}${SOH}`);

/** A received message: its fields by tag (first occurrence). */
export type FixFields = ReadonlyMap<number, string>;

/** OrdStatus (39) → the platform's status names. */
export const FIX_ORD_STATUS: Readonly<Record<string, string>> = { '0': 'NEW', '1': 'PARTIALLY_FILLED', '2': 'FILLED', '4': 'CANCELED', '8': 'REJECTED', C: 'EXPIRED', A: 'PENDING_NEW' };

/** Raised when the connection is gone (the server was killed): log on again and resend. */
export class FixDisconnected extends Error {}

export class ProofFixClient {
  private socket: Socket | undefined;
  private seq = 1;
  private buffer = '';
  private loggedOn = false;
  private readonly waiters = new Set<(m: FixFields | undefined) => void>();
  /** Every ExecutionReport received, by ClOrdID (in arrival order). */
  readonly reports = new Map<string, FixFields[]>();

  constructor(
    private readonly port: number,
    private readonly username: string,
    private readonly password: string,
    private readonly senderCompId: string,
    private readonly targetCompId = 'TRADINGAPP',
  ) {}

  get connected(): boolean {
    return this.loggedOn && !!this.socket && !this.socket.destroyed;
  }

  /** Connects and logs on; resolves with undefined, or the reason the logon was refused. */
  async logon(timeoutMs = 10_000): Promise<string | undefined> {
    this.close();
    const socket = connect(this.port, '127.0.0.1');
    socket.setEncoding('latin1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    this.socket = socket;
    this.seq = 1;
    this.buffer = '';
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.loggedOn = false;
      for (const w of [...this.waiters]) w(undefined);
    });
    this.send('A', [
      [98, 0],
      [108, 30],
      [141, 'Y'],
      [553, this.username],
      [554, this.password],
    ]);
    const answer = await this.next((m) => m.get(35) === 'A' || m.get(35) === '5', timeoutMs);
    if (answer.get(35) === 'A') {
      this.loggedOn = true;
      return undefined;
    }
    this.close();
    return answer.get(58) ?? 'logout';
  }

  /** Sends a NewOrderSingle and resolves with the first ExecutionReport of its ClOrdID. */
  async newOrder(o: { clOrdId: string; symbol: string; side: 'BUY' | 'SELL'; price: string; qty: number; tif: 'DAY' | 'GTC' | 'IOC' }, timeoutMs = 20_000): Promise<FixFields> {
    if (!this.connected) throw new FixDisconnected('not logged on');
    const seen = this.reports.get(o.clOrdId)?.length ?? 0;
    this.send('D', [
      [11, o.clOrdId],
      [55, o.symbol],
      [54, o.side === 'BUY' ? '1' : '2'],
      [60, timestamp()],
      [38, o.qty],
      [40, '2'],
      [44, o.price],
      [59, { DAY: '0', GTC: '1', IOC: '3' }[o.tif]],
    ]);
    return this.next(() => (this.reports.get(o.clOrdId)?.length ?? 0) > seen, timeoutMs).then(() => this.reports.get(o.clOrdId)![seen]!);
  }

  close(): void {
    this.loggedOn = false;
    this.socket?.destroy();
    this.socket = undefined;
  }

  private send(msgType: string, body: readonly (readonly [number, string | number])[]): void {
    const header: [number, string | number][] = [
      [35, msgType],
      [49, this.senderCompId],
      [56, this.targetCompId],
      [34, this.seq++],
      [52, timestamp()],
    ];
    const content = [...header, ...body].map(([t, v]) => `${t}=${v}${SOH}`).join('');
    const head = `8=FIX.4.4${SOH}9=${Buffer.byteLength(content, 'latin1')}${SOH}`;
    const sum = [...Buffer.from(head + content, 'latin1')].reduce((a, b) => a + b, 0) % 256;
    this.socket?.write(`${head}${content}10=${String(sum).padStart(3, '0')}${SOH}`, 'latin1');
  }

  /** Resolves with the first message (from now on) matching `pred`; rejects on timeout or disconnection. */
  private next(pred: (m: FixFields) => boolean, ms: number): Promise<FixFields> {
    return new Promise((resolve, reject) => {
      const done = (m: FixFields | undefined) => {
        if (m === undefined) {
          finish();
          reject(new FixDisconnected('connection closed'));
        } else if (pred(m)) {
          finish();
          resolve(m);
        }
      };
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new FixDisconnected(`no answer within ${ms} ms`));
      }, ms);
      if (!this.socket || this.socket.destroyed) return done(undefined);
      this.waiters.add(done);
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const end = this.buffer.search(CHECKSUM_FIELD);
      if (end < 0) return;
      const stop = this.buffer.indexOf(SOH, end + 1 + 3) + 1;
      const text = this.buffer.slice(0, stop);
      this.buffer = this.buffer.slice(stop);
      const fields = new Map<number, string>();
      for (const pair of text.split(SOH)) {
        const eq = pair.indexOf('=');
        if (eq > 0 && !fields.has(Number(pair.slice(0, eq)))) fields.set(Number(pair.slice(0, eq)), pair.slice(eq + 1));
      }
      const type = fields.get(35);
      if (type === '1') this.send('0', [[112, fields.get(112) ?? '']]);
      if (type === '8' && fields.has(11)) {
        const list = this.reports.get(fields.get(11)!) ?? [];
        list.push(fields);
        this.reports.set(fields.get(11)!, list);
      }
      for (const w of [...this.waiters]) w(fields);
    }
  }
}

function timestamp(): string {
  const iso = new Date().toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 23)}`;
}
