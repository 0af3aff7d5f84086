/**
 * A jspurefix FIX 4.4 initiator for tests: logs on to the gateway, sends messages by name and
 * records every message received (admin ones included) as tag → value maps.
 */
import { connect } from 'node:net';
import {
  AsciiSession,
  DITokens,
  JsFixConfig,
  MsgTransport,
  SessionContainer,
  TcpDuplex,
  type IFixSessionStore,
  type IJsFixConfig,
  type ISessionDescription,
  type ISessionMsgFactory,
} from 'jspurefix';
import { fixDefinitions } from '../../../src/modules/fix/fix-gateway.js';

export interface ClientOptions {
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly senderCompId: string;
  readonly targetCompId?: string;
  readonly heartBtInt?: number;
  /** ResetSeqNumFlag (141) on our Logon; default true. */
  readonly reset?: boolean;
  /** Keep sequence numbers in this store across connections (with reset false). */
  readonly store?: IFixSessionStore;
}

/** A received message. */
export class Received {
  readonly fields = new Map<number, string>();
  constructor(
    readonly msgType: string,
    readonly raw: string,
  ) {
    for (const pair of raw.split('|')) {
      const eq = pair.indexOf('=');
      if (eq > 0) {
        const tag = Number(pair.slice(0, eq));
        if (!this.fields.has(tag)) this.fields.set(tag, pair.slice(eq + 1));
      }
    }
  }

  get(tag: number): string | undefined {
    return this.fields.get(tag);
  }
}

class ClientSession extends AsciiSession {
  constructor(
    config: IJsFixConfig,
    private readonly client: FixClient,
  ) {
    super(config);
  }
  protected onApplicationMsg(): void {}
  protected onReady(): void {
    this.client.onReady();
  }
  protected onStopped(error?: Error): void {
    this.client.onStopped(error);
  }
  protected onLogon(): boolean {
    return true;
  }
  protected onDecoded(msgType: string, txt: string): void {
    this.client.onReceived(new Received(msgType, txt));
  }
  protected onEncoded(): void {}
  sendMsg(msgType: string, body: Record<string, unknown>): void {
    this.send(msgType, body);
  }
  logoutNow(): void {
    this.sessionLogout();
  }
  lastSent(): number {
    return this.lastSentSeqNum();
  }
}

export class FixClient {
  readonly received: Received[] = [];
  private session!: ClientSession;
  private waiters = new Set<() => void>();
  private readyResolve!: () => void;
  private readyReject!: (e: Error) => void;
  private endResolve!: () => void;
  private isReady = false;
  readonly ended: Promise<void>;
  private readonly ready: Promise<void>;

  private constructor() {
    this.ready = new Promise((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    this.ended = new Promise((resolve) => (this.endResolve = resolve));
  }

  /** Connects and logs on; rejects with the Logout's Text when the gateway refuses. */
  static async connect(o: ClientOptions): Promise<FixClient> {
    const client = new FixClient();
    await client.start(o);
    return client;
  }

  /** Connects and returns without waiting for the logon (for refusal tests). */
  static open(o: ClientOptions): { client: FixClient; ready: Promise<void> } {
    const client = new FixClient();
    return { client, ready: client.start(o) };
  }

  private async start(o: ClientOptions): Promise<void> {
    const description: ISessionDescription = {
      application: {
        type: 'initiator',
        name: `test-${o.senderCompId}`,
        protocol: 'ascii',
        dictionary: 'qf44',
        resilient: false,
        reconnectSeconds: 0,
        tcp: { host: '127.0.0.1', port: o.port },
      },
      Name: o.senderCompId,
      BeginString: 'FIX.4.4',
      SenderCompId: o.senderCompId,
      TargetCompID: o.targetCompId ?? 'TRADINGAPP',
      SenderSubID: '',
      TargetSubID: '',
      Username: o.username,
      Password: o.password,
      HeartBtInt: o.heartBtInt ?? 30,
      ResetSeqNumFlag: o.reset ?? true,
    };
    const container = new SessionContainer();
    const scope = container.newChild(description);
    const config = new JsFixConfig(scope.resolve<ISessionMsgFactory>(DITokens.ISessionMsgFactory), await fixDefinitions(), description);
    container.registerSession(config, scope);
    const store = o.store;
    if (store) config.sessionStoreFactory = { create: () => store };
    const socket = connect(o.port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const transport = new MsgTransport(1, config, new TcpDuplex(socket));
    this.session = new ClientSession(config, this);
    this.session.run(transport).catch(() => {});
    await this.ready;
  }

  /** Sends an application (or session) message by MsgType with a body keyed by dictionary names. */
  send(msgType: string, body: Record<string, unknown>): void {
    this.session.sendMsg(msgType, body);
  }

  /** The first received message (in arrival order) matching `pred`, waiting up to `ms`. */
  async next(pred: (m: Received) => boolean, ms = 5000, what = 'a matching message'): Promise<Received> {
    const found = () => this.received.find(pred);
    const now = found();
    if (now) return now;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; received ${this.received.map((m) => m.raw).join('\n')}`));
      }, ms);
      const check = () => {
        const m = found();
        if (m) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve(m);
        }
      };
      this.waiters.add(check);
    });
  }

  /** Every received message matching `pred` so far. */
  all(pred: (m: Received) => boolean): Received[] {
    return this.received.filter(pred);
  }

  /** Logs out and waits for the session to end. */
  async logout(): Promise<void> {
    if (this.isReady) this.session.logoutNow();
    await this.ended;
  }

  /** MsgSeqNum of our last message. */
  lastSentSeqNum(): number {
    return this.session.lastSent();
  }

  /** @internal */
  onReady(): void {
    this.isReady = true;
    this.readyResolve();
  }

  /** @internal */
  onStopped(error?: Error): void {
    const logout = [...this.received].reverse().find((m) => m.msgType === '5');
    this.readyReject(new Error(logout?.get(58) ?? error?.message ?? 'session stopped before logon'));
    this.endResolve();
  }

  /** @internal */
  onReceived(m: Received): void {
    this.received.push(m);
    for (const w of [...this.waiters]) w();
  }
}
