import { AsciiSession, MsgTag, MsgType, SessionState, type IJsFixConfig, type MsgView } from 'jspurefix';
import type { Logger } from '../../logger.js';
import type { Services } from '../../services.js';
import { DomainError } from '../../errors.js';
import type { AccountClOrdIds, ClOrdIdMap } from './cl-ord-id-map.js';
import { MAX_HEARTBEAT_SECONDS, MIN_HEARTBEAT_SECONDS, SUPPORTED_MSG_TYPES } from './fix-codes.js';
import type { FieldDictionary } from './order-mapping.js';
import { OrderEntry, type SessionAccount } from './order-entry.js';
import type { OutboundJournal } from './outbound-journal.js';
import { unsupportedMessageReject, type FixMessage } from './report-builder.js';
import { DbSessionStore, type ClaimResult } from './seqnum-store.js';

/** One FIX session per account in this process (other processes are kept out by the session lease). */
export class AccountSessions {
  private readonly byAccount = new Map<number, GatewaySession>();

  /** Reserves the account for `session`; false when another session has it. */
  claim(accountId: number, session: GatewaySession): boolean {
    const holder = this.byAccount.get(accountId);
    if (holder && holder !== session) return false;
    this.byAccount.set(accountId, session);
    return true;
  }

  release(accountId: number, session: GatewaySession): void {
    if (this.byAccount.get(accountId) === session) this.byAccount.delete(accountId);
  }

  get(accountId: number): GatewaySession | undefined {
    return this.byAccount.get(accountId);
  }

  all(): GatewaySession[] {
    return [...this.byAccount.values()];
  }
}

/** What every session of the gateway shares. */
export interface GatewayContext {
  readonly services: Services;
  /** Our CompID: FIX_SENDER_COMP_ID. */
  readonly compId: string;
  readonly sessions: AccountSessions;
  readonly clOrdIds: ClOrdIdMap;
  readonly dict: FieldDictionary;
  readonly journal: (sessionKey: string) => OutboundJournal;
  readonly logger: Logger;
}

const CLAIM_REFUSALS: Record<Exclude<ClaimResult, 'OK'>, string> = {
  COMP_ID_OF_OTHER_ACCOUNT: 'This SenderCompID belongs to another account.',
  SESSION_ACTIVE_ELSEWHERE: 'This FIX session is active on another connection; retry shortly.',
  ACCOUNT_ACTIVE_ELSEWHERE: 'The account already has a FIX session.',
};

/** Fields of the Logon read before the (asynchronous) credential check. */
interface LogonFields {
  readonly heartBtInt: number;
  readonly targetCompId: string | null;
  readonly senderCompId: string | null;
  readonly reset: boolean;
}

/**
 * One FIX connection, as jspurefix's acceptor session: the session layer (sequence numbers,
 * heartbeats, test requests, gap detection, malformed-message Rejects) is jspurefix's; this
 * class decides logons, answers ResendRequests and hands application messages to
 * {@link OrderEntry}.
 *
 * Logon (A): TargetCompID must be ours, HeartBtInt within bounds, Username (553)/Password (554)
 * a platform account that is not disabled, and the account must have no other FIX session.
 * A refusal is a Logout (5) whose Text (58) says why. The agreed heartbeat is the client's.
 */
export class GatewaySession extends AsciiSession {
  private account: SessionAccount | undefined;
  private known: AccountClOrdIds | undefined;
  private entry: OrderEntry | undefined;
  private journalOf: OutboundJournal | undefined;
  private stopped = false;
  /** MsgSeqNum (34) and ResetSeqNumFlag (141) of the last Logon received. */
  private logonSeqNum: { readonly seq: number; readonly reset: boolean } | undefined;
  /** A ResendRequest jspurefix wants to send before our Logon went out (a Logon with a gap). */
  private deferredResend: [number, number] | undefined;
  private readonly ended: Promise<void>;
  private markEnded!: () => void;

  constructor(
    config: IJsFixConfig,
    private readonly ctx: GatewayContext,
    private readonly remoteAddress: string,
  ) {
    super(config);
    this.ended = new Promise((resolve) => (this.markEnded = resolve));
  }

  /** The account once logged on. */
  get accountId(): number | undefined {
    return this.entry ? this.account?.id : undefined;
  }

  /** Resolves when the session has stopped. */
  whenEnded(): Promise<void> {
    return this.ended;
  }

  /**
   * Ends the session: a Logout (5) with `reason` when logged on (the session stops when the
   * counterparty confirms, or after jspurefix's logout timeout), else the connection closes.
   */
  shutdown(reason: string): Promise<void> {
    if (this.stopped) return this.ended;
    this.markClosing();
    if (this.entry && this.getState() !== SessionState.WaitingLogoutConfirm) {
      this.setState(SessionState.WaitingLogoutConfirm);
      this.sessionState.logoutSentAt = new Date();
      this.sendLogout(reason);
    } else if (!this.entry) {
      this.stop();
    }
    return this.ended;
  }

  /** A SequenceReset never moves the expected number back (jspurefix would, on a late GapFill). */
  protected override onSessionMsg(msgType: string, view: MsgView): void {
    const before = this.sessionState.lastPeerMsgSeqNum;
    super.onSessionMsg(msgType, view);
    if (msgType === MsgType.SequenceReset && this.sessionState.lastPeerMsgSeqNum < before) this.sessionState.lastPeerMsgSeqNum = before;
  }

  /** The counterparty logs out: a new connection of this session waits until we have ended. */
  protected override peerLogout(view: MsgView): void {
    this.markClosing();
    super.peerLogout(view);
  }

  private markClosing(): void {
    if (this.account && this.sessionStore instanceof DbSessionStore) this.sessionStore.closing = this.ended;
  }

  /** Extends this process's lease on the session (logged-on sessions only). */
  renewLease(): void {
    if (this.entry && this.sessionStore instanceof DbSessionStore) this.sessionStore.renew();
  }

  /** Stops at once, without a Logout. */
  kill(reason: string): void {
    if (!this.stopped) this.requestStop(reason);
  }

  protected onLogon(view: MsgView, username: string, password: string): Promise<boolean> {
    const logon: LogonFields = {
      heartBtInt: Number(view.getTyped(MsgTag.HeartBtInt)),
      targetCompId: view.getString(MsgTag.TargetCompID),
      senderCompId: view.getString(MsgTag.SenderCompID),
      reset: view.getTyped(MsgTag.ResetSeqNumFlag) === true,
    };
    return this.authorize(logon, username, password).then(
      async (refusal) => {
        if (refusal === undefined) return true;
        await this.refuse(logon, refusal);
        return false;
      },
      async (err: unknown) => {
        this.ctx.logger.error({ component: 'fix', peer: logon.senderCompId, err }, 'FIX logon failed');
        await this.refuse(logon, 'The logon could not be processed; try again.');
        return false;
      },
    );
  }

  /** Undefined when the logon is accepted, else the reason it is refused. */
  private async authorize(logon: LogonFields, username: string | undefined, password: string | undefined): Promise<string | undefined> {
    const { ctx } = this;
    if (logon.targetCompId !== ctx.compId) return `TargetCompID must be ${ctx.compId}.`;
    if (!Number.isInteger(logon.heartBtInt) || logon.heartBtInt < MIN_HEARTBEAT_SECONDS || logon.heartBtInt > MAX_HEARTBEAT_SECONDS) {
      return `HeartBtInt must be between ${MIN_HEARTBEAT_SECONDS} and ${MAX_HEARTBEAT_SECONDS} seconds.`;
    }
    if (!username || !password) return 'Username (553) and Password (554) are required.';
    const user = await ctx.services.accounts.checkPassword(username, password, this.remoteAddress, 'fix').catch((e: unknown) => (e instanceof DomainError ? e : Promise.reject(e)));
    if (user instanceof DomainError) return user.message;
    if (user.disabled) return 'This account is disabled.';
    if (!ctx.sessions.claim(user.id, this)) return 'The account already has a FIX session.';
    const store = this.dbStore();
    try {
      const claim = await store.claim(user.id);
      if (claim !== 'OK') {
        ctx.sessions.release(user.id, this);
        return CLAIM_REFUSALS[claim];
      }
      this.known = await ctx.clOrdIds.load(user.id);
      // Our next MsgSeqNum may have moved on (see TAKEOVER_SENDER_SEQ_SKIP).
      const transmitter = this.transport?.transmitter as unknown as { msgSeqNum: number } | undefined;
      if (transmitter && store.senderSeqNum > transmitter.msgSeqNum) transmitter.msgSeqNum = store.senderSeqNum;
    } catch (err) {
      ctx.sessions.release(user.id, this);
      await store.release().catch(() => {});
      throw err;
    }
    if (this.stopped) {
      // The connection dropped while we were deciding.
      ctx.sessions.release(user.id, this);
      await store.release();
      return 'Disconnected.';
    }
    this.account = { id: user.id, username: user.username };
    this.journalOf = ctx.journal(this.sessionId.toString());
    store.onLeaseLost = () => this.kill('session taken over by another process');
    // The heartbeat interval is the one the client asked for; a reset is echoed on our Logon.
    (this.sessionState as { heartBeat: number }).heartBeat = logon.heartBtInt;
    const description = this.config.description as { HeartBtInt: number; ResetSeqNumFlag: boolean };
    description.HeartBtInt = logon.heartBtInt;
    description.ResetSeqNumFlag = logon.reset;
    return undefined;
  }

  /** A Logout (5) carrying the reason, then the connection closes. */
  private refuse(logon: LogonFields, reason: string): Promise<void> {
    this.ctx.logger.info({ component: 'fix', peer: logon.senderCompId, address: this.remoteAddress, reason }, 'FIX logon refused');
    return new Promise<void>((resolve) => {
      const close = () =>
        setImmediate(() => {
          this.stop();
          resolve();
        });
      this.send(MsgType.Logout, this.config.factory!.logout(MsgType.Logout, reason), () => {
        this.dbStore()
          .recordRefusal()
          .catch((err: unknown) => this.ctx.logger.error({ component: 'fix', err }, 'recording a refused logon failed'))
          .finally(close);
      });
    });
  }

  /**
   * jspurefix asks for a resend as soon as it sees a Logon ahead of the expected number, which
   * with an asynchronous logon decision would put our ResendRequest before our Logon: the Logon
   * must come first, so the request waits for {@link onReady} (and is dropped on a refusal).
   */
  protected override sendResendRequest(lastSeq: number, receivedSeq: number): void {
    if (this.entry) super.sendResendRequest(lastSeq, receivedSeq);
    else this.deferredResend = [lastSeq, receivedSeq];
  }

  protected onReady(_view: MsgView): void {
    const account = this.account!;
    this.entry = OrderEntry.start(
      {
        services: this.ctx.services,
        account,
        clOrdIds: this.ctx.clOrdIds,
        dict: this.ctx.dict,
        send: (m) => this.sendMessage(m),
        logger: this.ctx.logger,
      },
      this.known!,
    );
    if (this.deferredResend) super.sendResendRequest(...this.deferredResend);
    this.deferredResend = undefined;
    this.ctx.services.metrics.fixSessions.inc();
    this.ctx.logger.info(
      { component: 'fix', session: this.sessionId.toString(), userId: account.id, address: this.remoteAddress, heartBtInt: this.sessionState.heartBeat },
      'FIX session logged on',
    );
  }

  protected onApplicationMsg(msgType: string, view: MsgView): void {
    const seqNum = Number(view.getTyped(MsgTag.MsgSeqNum));
    if (SUPPORTED_MSG_TYPES.has(msgType)) this.entry!.handle(msgType, seqNum, view);
    else this.sendMessage(unsupportedMessageReject(seqNum, msgType));
  }

  /**
   * jspurefix drops the session when an application message arrives while it awaits a
   * Heartbeat to its TestRequest or answers a ResendRequest; any message after the logon is
   * normal traffic here. Before the logon it is fatal.
   */
  protected override checkForwardMsg(msgType: string, view: MsgView): void {
    if (!this.entry) {
      this.terminate(new Error(`MsgType ${msgType} received before the logon completed`));
      return;
    }
    this.onApplicationMsg(msgType, view);
  }

  /**
   * ResendRequest (2): application messages still in the journal are sent again as they were
   * (PossDupFlag=Y, OrigSendingTime); everything else — administrative messages, and anything
   * older than the journal or from before a restart — is skipped with SequenceReset-GapFill.
   */
  protected override onResendRequest(view: MsgView): void {
    const begin = Number(view.getTyped(MsgTag.BeginSeqNo));
    const requestedEnd = Number(view.getTyped(MsgTag.EndSeqNo));
    const last = this.dbStore().senderSeqNum - 1;
    const end = requestedEnd === 0 || requestedEnd > last ? last : requestedEnd;
    if (!(begin >= 1) || begin > end) return;
    const journal = this.journalOf;
    let gapFrom: number | undefined;
    for (let seq = begin; seq <= end; seq++) {
      const original = journal?.get(seq);
      if (!original) {
        gapFrom ??= seq;
        continue;
      }
      if (gapFrom !== undefined) this.gapFill(gapFrom, seq);
      gapFrom = undefined;
      this.send(original.msgType, { ...original.body, StandardHeader: { MsgSeqNum: seq, PossDupFlag: true, SendingTime: original.sentAt } });
    }
    if (gapFrom !== undefined) this.gapFill(gapFrom, end + 1);
  }

  private gapFill(from: number, newSeqNo: number): void {
    const reset = this.config.factory!.sequenceReset(newSeqNo, true);
    this.send(MsgType.SequenceReset, { ...reset, StandardHeader: { MsgSeqNum: from, PossDupFlag: true } });
  }

  /** Sends a message; application messages are journaled for resends. */
  private sendMessage(m: FixMessage): void {
    const journal = this.journalOf;
    const app = this.config.definitions.message.get(m.msgType)?.category === 'app';
    this.send(
      m.msgType,
      m.body,
      app && journal
        ? (err, result) => {
            const header = result.header as { MsgSeqNum?: number; SendingTime?: Date } | null;
            if (!err && header?.MsgSeqNum) journal.record(header.MsgSeqNum, { msgType: m.msgType, body: m.body, sentAt: header.SendingTime ?? new Date() });
          }
        : null,
    );
  }

  protected onStopped(error?: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    const account = this.account;
    if (this.entry && account) {
      this.entry.close();
      this.ctx.services.metrics.fixSessions.dec();
      this.ctx.logger.info(
        { component: 'fix', session: this.sessionId.toString(), userId: account.id, reason: error?.message },
        'FIX session ended',
      );
    }
    if (account) {
      this.ctx.sessions.release(account.id, this);
      this.dbStore()
        .release()
        .catch((err: unknown) => this.ctx.logger.error({ component: 'fix', err }, 'releasing a FIX session failed'))
        .finally(this.markEnded);
    } else {
      this.markEnded();
    }
  }

  /**
   * jspurefix drops a connection whose Logon has a MsgSeqNum below the expected one without a
   * word; FIX wants a Logout saying so, sent here as the session stops.
   */
  protected override onSessionStopping(): void {
    super.onSessionStopping();
    const logon = this.logonSeqNum;
    if (this.entry || !logon || logon.reset || !(this.sessionStore instanceof DbSessionStore)) return;
    const expected = this.sessionStore.targetSeqNum;
    if (logon.seq < expected) {
      this.sendLogout(`MsgSeqNum too low, expecting ${expected} but received ${logon.seq}.`);
      this.ctx.logger.info({ component: 'fix', session: this.sessionId.toString(), expected, received: logon.seq }, 'FIX logon refused: MsgSeqNum too low');
    }
  }

  protected onDecoded(msgType: string, txt: string): void {
    if (msgType === MsgType.Logon) {
      this.logonSeqNum = { seq: Number(/\|34=(\d+)\|/.exec(txt)?.[1]), reset: /\|141=Y\|/.test(txt) };
    }
    this.ctx.logger.trace({ component: 'fix', dir: 'in', msgType, fix: redact(txt) }, 'FIX message received');
  }

  protected onEncoded(msgType: string, txt: string): void {
    this.ctx.logger.trace({ component: 'fix', dir: 'out', msgType, fix: txt }, 'FIX message sent');
  }

  private dbStore(): DbSessionStore {
    if (!(this.sessionStore instanceof DbSessionStore)) throw new Error('the FIX gateway session has no database store');
    return this.sessionStore;
  }
}

/** The message text without the password. */
function redact(txt: string): string {
  return txt.replace(/(^|\|)554=[^|]*/g, '$1554=***');
}
