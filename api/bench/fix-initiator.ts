/**
 * A lean jspurefix FIX 4.4 initiator for bench:fix: logs on, sends messages, and reports each
 * ExecutionReport's ClOrdID (11) and ExecType (150) and each reject, without keeping them.
 */
import 'reflect-metadata';
import { connect } from 'node:net';
import {
  AsciiSession,
  DefinitionFactory,
  DITokens,
  JsFixConfig,
  MsgTag,
  MsgTransport,
  MsgType,
  SessionContainer,
  TcpDuplex,
  type IJsFixConfig,
  type ISessionDescription,
  type ISessionMsgFactory,
  type MsgView,
} from 'jspurefix';

/** What the initiator tells the bench. */
export interface InitiatorEvents {
  /** An ExecutionReport. */
  report(clOrdId: string, execType: string): void;
  /** A session Reject, Business Message Reject or OrderCancelReject. */
  reject(msgType: string, text: string | null): void;
}

class BenchSession extends AsciiSession {
  ready!: () => void;
  failed!: (e: Error) => void;
  ended!: () => void;

  constructor(
    config: IJsFixConfig,
    private readonly events: InitiatorEvents,
  ) {
    super(config);
  }

  protected onApplicationMsg(msgType: string, view: MsgView): void {
    if (msgType === MsgType.ExecutionReport) this.events.report(view.getString(MsgTag.ClOrdID) ?? '', view.getString(MsgTag.ExecType) ?? '');
    else this.events.reject(msgType, view.getString(MsgTag.Text));
  }

  protected override onSessionMsg(msgType: string, view: MsgView): void {
    if (msgType === MsgType.Reject) this.events.reject(msgType, view.getString(MsgTag.Text));
    super.onSessionMsg(msgType, view);
  }

  protected onReady(): void {
    this.ready();
  }

  protected onStopped(error?: Error): void {
    this.failed(error ?? new Error('session ended'));
    this.ended();
  }

  protected onLogon(): boolean {
    return true;
  }

  protected onDecoded(): void {}
  protected onEncoded(): void {}

  sendMessage(msgType: string, body: Record<string, unknown>): void {
    this.send(msgType, body);
  }

  logout(): void {
    this.sessionLogout();
  }
}

/** A logged-on session. */
export interface BenchInitiator {
  send(msgType: string, body: Record<string, unknown>): void;
  /** Logs out and resolves when the session has ended. */
  logout(): Promise<void>;
}

/** Connects to 127.0.0.1:`port` and logs on (ResetSeqNumFlag=Y). */
export async function logOn(o: { port: number; senderCompId: string; targetCompId: string; username: string; password: string }, events: InitiatorEvents): Promise<BenchInitiator> {
  const description: ISessionDescription = {
    application: { type: 'initiator', name: 'bench-fix', protocol: 'ascii', dictionary: 'qf44', resilient: false, reconnectSeconds: 0, tcp: { host: '127.0.0.1', port: o.port } },
    Name: 'bench-fix',
    BeginString: 'FIX.4.4',
    SenderCompId: o.senderCompId,
    TargetCompID: o.targetCompId,
    SenderSubID: '',
    TargetSubID: '',
    Username: o.username,
    Password: o.password,
    HeartBtInt: 30,
    ResetSeqNumFlag: true,
  };
  const container = new SessionContainer();
  const scope = container.newChild(description);
  const definitions = await new DefinitionFactory().getDefinitions('qf44');
  const config = new JsFixConfig(scope.resolve<ISessionMsgFactory>(DITokens.ISessionMsgFactory), definitions, description);
  container.registerSession(config, scope);
  const socket = connect(o.port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  const session = new BenchSession(config, events);
  const ended = new Promise<void>((resolve) => (session.ended = resolve));
  await new Promise<void>((resolve, reject) => {
    session.ready = resolve;
    session.failed = reject;
    session.run(new MsgTransport(1, config, new TcpDuplex(socket))).catch(() => {});
  });
  return {
    send: (msgType, body) => session.sendMessage(msgType, body),
    logout: async () => {
      session.logout();
      await Promise.race([ended, new Promise((r) => setTimeout(r, 5000).unref())]);
    },
  };
}
