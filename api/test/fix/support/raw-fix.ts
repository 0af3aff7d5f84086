/**
 * A FIX client at the byte level, for what a real engine will not send: unknown tags, unknown
 * message types, silence (to see the gateway's heartbeats and test requests). Messages are
 * lists of [tag, value]; BeginString, BodyLength, MsgSeqNum, SendingTime and CheckSum are added.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

const SOH = '\x01';
/** The CheckSum field that ends every message: SOH 10=nnn SOH. */
const CHECKSUM_FIELD = new RegExp(`(^|${SOH})10=\\d{3}${SOH}`);

export type Field = readonly [number, string | number];

/** How {@link RawFixClient.send} builds a message, wrong on purpose where asked. */
export interface FrameOptions {
  /** MsgSeqNum (34); default the next one. */
  readonly seq?: number;
  /** PossDupFlag=Y with OrigSendingTime. */
  readonly possDup?: boolean;
  readonly beginString?: string;
  /** Added to the right BodyLength. */
  readonly bodyLengthDelta?: number;
  /** Added to the right CheckSum. */
  readonly checkSumDelta?: number;
}

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

  static async connect(
    port: number,
    senderCompId: string,
    targetCompId = 'TRADINGAPP',
    options: { tls?: ConnectionOptions; localAddress?: string } = {},
  ): Promise<RawFixClient> {
    const socket = options.tls
      ? tlsConnect({ port, host: '127.0.0.1', ...options.tls })
      : connect({ port, host: '127.0.0.1', localAddress: options.localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', resolve);
      socket.once('error', reject);
    });
    return new RawFixClient(socket, senderCompId, targetCompId);
  }

  /** MsgSeqNum of the next {@link send}. */
  get nextSeq(): number {
    return this.seq;
  }

  set nextSeq(value: number) {
    this.seq = value;
  }

  /** Sends a message with the next MsgSeqNum (or `options.seq`); returns that number. */
  send(msgType: string, body: readonly Field[], options: FrameOptions = {}): number {
    const seq = options.seq ?? this.seq++;
    this.write(this.frame(msgType, body, { ...options, seq }));
    return seq;
  }

  /**
   * The bytes of a message, with the standard header (PossDupFlag and OrigSendingTime when
   * `possDup`), a BodyLength and CheckSum that are right unless told otherwise.
   */
  frame(msgType: string, body: readonly Field[], options: FrameOptions & { readonly seq: number }): string {
    const header: Field[] = [
      [35, msgType],
      [49, this.senderCompId],
      [56, this.targetCompId],
      [34, options.seq],
      ...(options.possDup ? ([[43, 'Y']] as Field[]) : []),
      [52, timestamp()],
      ...(options.possDup ? ([[122, timestamp()]] as Field[]) : []),
    ];
    const content = [...header, ...body].map(([t, v]) => `${t}=${v}${SOH}`).join('');
    const head = `8=${options.beginString ?? 'FIX.4.4'}${SOH}9=${Buffer.byteLength(content, 'latin1') + (options.bodyLengthDelta ?? 0)}${SOH}`;
    const sum = ([...Buffer.from(head + content, 'latin1')].reduce((a, b) => a + b, 0) + (options.checkSumDelta ?? 0)) % 256;
    return `${head}${content}10=${String(sum).padStart(3, '0')}${SOH}`;
  }

  /** Writes raw bytes. */
  write(text: string): void {
    this.socket.write(text, 'latin1');
  }

  /** Logs on (ResetSeqNumFlag=Y unless `reset` is false) and waits for the gateway's Logon or Logout. */
  async logon(username: string | null, password: string | null, heartBtInt = 30, options: FrameOptions & { readonly reset?: boolean; readonly extra?: readonly Field[] } = {}): Promise<RawMessage> {
    this.send(
      'A',
      [
        [98, 0],
        [108, heartBtInt],
        ...(options.reset === false ? [] : ([[141, 'Y']] as Field[])),
        ...(username === null ? [] : ([[553, username]] as Field[])),
        ...(password === null ? [] : ([[554, password]] as Field[])),
        ...(options.extra ?? []),
      ],
      options,
    );
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
