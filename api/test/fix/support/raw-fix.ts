/**
 * A FIX client at the byte level, for what a real engine will not send: unknown tags, unknown
 * message types, silence (to see the gateway's heartbeats and test requests). Messages are
 * lists of [tag, value]; BeginString, BodyLength, MsgSeqNum, SendingTime and CheckSum are added.
 */
import { connect, type Socket } from 'node:net';

const SOH = '\x01';
/** The CheckSum field that ends every message: SOH 10=nnn SOH. */
const CHECKSUM_FIELD = new RegExp(`(^|${SOH})10=\\d{3}${SOH}`);

export type Field = readonly [number, string | number];

/** A parsed incoming message. */
export interface RawMessage {
  readonly fields: ReadonlyMap<number, string>;
  readonly type: string;
  get(tag: number): string | undefined;
}

export class RawFixClient {
  private seq = 1;
  private buffer = '';
  readonly received: RawMessage[] = [];
  private readonly waiters = new Set<() => void>();
  readonly closed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    private readonly senderCompId: string,
    private readonly targetCompId: string,
  ) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    this.closed.then(() => this.notify());
  }

  static async connect(port: number, senderCompId: string, targetCompId = 'TRADINGAPP'): Promise<RawFixClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawFixClient(socket, senderCompId, targetCompId);
  }

  /** Sends a message with the next MsgSeqNum; returns that number. */
  send(msgType: string, body: readonly Field[]): number {
    const seq = this.seq++;
    const header: Field[] = [
      [35, msgType],
      [49, this.senderCompId],
      [56, this.targetCompId],
      [34, seq],
      [52, timestamp()],
    ];
    const content = [...header, ...body].map(([t, v]) => `${t}=${v}${SOH}`).join('');
    const head = `8=FIX.4.4${SOH}9=${Buffer.byteLength(content, 'latin1')}${SOH}`;
    const sum = [...Buffer.from(head + content, 'latin1')].reduce((a, b) => a + b, 0) % 256;
    this.socket.write(`${head}${content}10=${String(sum).padStart(3, '0')}${SOH}`, 'latin1');
    return seq;
  }

  /** Logs on (ResetSeqNumFlag=Y) and waits for the gateway's Logon. */
  async logon(username: string, password: string, heartBtInt = 30): Promise<RawMessage> {
    this.send('A', [
      [98, 0],
      [108, heartBtInt],
      [141, 'Y'],
      [553, username],
      [554, password],
    ]);
    return this.next((m) => m.type === 'A' || m.type === '5', 10_000);
  }

  /** The first received message matching `pred`, waiting up to `ms`. */
  next(pred: (m: RawMessage) => boolean, ms = 5000): Promise<RawMessage> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = this.received.find(pred);
        if (m) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve(m);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out; received ${this.received.map((r) => [...r.fields].map(([t, v]) => `${t}=${v}`).join('|')).join('\n')}`));
      }, ms);
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.socket.destroy();
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
      this.received.push({ fields, type: fields.get(35) ?? '', get: (t) => fields.get(t) });
      this.notify();
    }
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

function timestamp(): string {
  const iso = new Date().toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 23)}`;
}
