import { AsciiSession, MsgTag, MsgType, SessionId, SessionState, type FixDefinitions, type IJsFixConfig, type MsgView } from 'jspurefix';
import { SessionRejectReason } from 'jspurefix/dist/types/FIX4.4/quickfix/enum/all-enum.js';
import type { Logger } from '../../logger.js';
import type { Services } from '../../services.js';
import { DomainError } from '../../errors.js';
import type { AccountClOrdIds, ClOrdIdMap } from './cl-ord-id-map.js';
import type { FrameEvent } from './fix-framer.js';
import { BEGIN_STRING, COMP_ID_PATTERN, MAX_HEARTBEAT_SECONDS, MAX_OUT_OF_SEQUENCE, MIN_HEARTBEAT_SECONDS, SUPPORTED_MSG_TYPES, TAG_CANCEL_ON_DISCONNECT } from './fix-codes.js';
import type { FieldDictionary, SessionProblem } from './order-mapping.js';
import { OrderEntry, type SessionAccount } from './order-entry.js';
import type { OutboundJournal } from './outbound-journal.js';
import { sessionReject, unsupportedMessageReject, type FixMessage } from './report-builder.js';
import { DbSessionStore, type ClaimResult, type DbSessionStoreFactory } from './seqnum-store.js';
import { messageProblem } from './session-checks.js';

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
  /** The FIX 4.4 dictionary every inbound message is checked against. */
  readonly defs: FixDefinitions;
  /** Session stores (sequence numbers, lease), created once a Logon is authenticated. */
  readonly stores: DbSessionStoreFactory;
  readonly journal: (sessionKey: string) => OutboundJournal;
  /** A connection that has not logged on after this long is closed (FIX_LOGON_TIMEOUT_SECONDS). */
  readonly logonTimeoutMs: number;
  /** The largest message accepted, in bytes (FIX_MAX_MESSAGE_BYTES). */
  readonly maxMessageBytes: number;
  /** Cancel-on-disconnect runs still in flight: the gateway's stop waits for them. */
  readonly cancels: Set<Promise<void>>;
  readonly logger: Logger;
}

const CLAIM_REFUSALS: Record<Exclude<ClaimResult, 'OK'>, string> = {
  COMP_ID_OF_OTHER_ACCOUNT: 'This SenderCompID belongs to another account.',
  SESSION_ACTIVE_ELSEWHERE: 'This FIX session is active on another connection; retry shortly.',
  ACCOUNT_ACTIVE_ELSEWHERE: 'The account already has a FIX session.',
};

/** What the Logon says, read before anything about a session is looked up. */
interface LogonFields {
  readonly seq: number;
  readonly heartBtInt: number;
  readonly targetCompId: string | null;
  readonly senderCompId: string;
  readonly reset: boolean;
  readonly username: string | null;
  readonly password: string | null;
  /** CancelOrdersOnDisconnect (8013) as sent: Y, N, or null (the account's setting). */
  readonly cancelOnDisconnect: string | null;
}

/** An authenticated Logon: the session store it claimed and the account. */
interface Authorized {
  readonly store: DbSessionStore;
  readonly account: SessionAccount;
  /** The Logon carried the expected MsgSeqNum (or a reset); false when it is ahead. */
  readonly inSequence: boolean;
}

/** A message received ahead of its turn, or a number already dealt with (`CONSUMED`). */
type Pending = { readonly msgType: string; readonly view: MsgView } | typeof CONSUMED;
const CONSUMED = 'consumed';

/** Messages received while the Logon is being decided, at most. */
const MAX_QUEUED_BEFORE_LOGON = 100;

/**
 * One FIX connection. jspurefix parses and encodes messages, sends heartbeats and test
 * requests; this class is the session layer of the acceptor:
 *
 * - **Logon first.** Anything but a Logon as first message closes the connection. The Logon is
 *   authenticated (TargetCompID ours, FIX.4.4, HeartBtInt within bounds, Username (553) and
 *   Password (554) of an enabled platform account without another FIX session) before the
 *   session it names is even read: a refused Logon changes nothing about any session, and says
 *   nothing about one it is not the owner of. A refusal is a Logout (5) whose Text (58) says why,
 *   with MsgSeqNum 1 (it is not part of the session), then the connection closes. A connection
 *   that has not logged on within `logonTimeoutMs` is closed.
 * - **Sequence numbers** (FIX session layer): the expected message is processed; one ahead is
 *   kept and a ResendRequest sent, so messages are processed once and in order when the gap is
 *   filled; one below is ignored when PossDupFlag=Y, else answered with a Logout and the
 *   connection closes. SequenceReset-GapFill and -Reset move the expected number forward, never
 *   back (a Reset below it is rejected, 373=5, 371=36).
 * - **Malformed messages** get a session Reject (3) with SessionRejectReason (373) and RefTagID
 *   (371) and count as received; garbled ones (bad BodyLength or CheckSum, junk) never get here
 *   (see FixFramer): they are ignored, as FIX asks.
 */
export class GatewaySession extends AsciiSession {
  private phase: 'awaiting-logon' | 'authenticating' | 'logged-on' = 'awaiting-logon';
  private account: SessionAccount | undefined;
  private known: AccountClOrdIds | undefined;
  private entry: OrderEntry | undefined;
  private journalOf: OutboundJournal | undefined;
  private stopped = false;
  private closing = false;
  /** Cancel the account's open orders when the session ends (Logon tag 8013, else the account's setting). */
  private cancelOnDisconnect = false;
  /** MsgSeqNum (34) expected on the counterparty's next message. */
  private expected = 1;
  /** Messages received ahead of `expected`, by MsgSeqNum. */
  private readonly ahead = new Map<number, Pending>();
  /** A ResendRequest for the current gap has been sent. */
  private resendAsked = false;
  /** Messages received while the Logon is decided, replayed after. */
  private readonly queued: { readonly msgType: string; readonly view: MsgView }[] = [];
  private readonly logonTimer: NodeJS.Timeout;
  private readonly ended: Promise<void>;
  private markEnded!: () => void;

  constructor(
    config: IJsFixConfig,
    private readonly ctx: GatewayContext,
    private readonly remoteAddress: string,
  ) {
    super(config);
    this.ended = new Promise((resolve) => (this.markEnded = resolve));
    this.logonTimer = setTimeout(() => {
      if (this.phase !== 'logged-on') this.kill(`no Logon within ${ctx.logonTimeoutMs} ms`);
    }, ctx.logonTimeoutMs);
    this.logonTimer.unref();
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

  /** Stops at once, without a Logout. */
  kill(reason: string): void {
    if (!this.stopped) this.requestStop(reason);
  }

  /** Extends this process's lease on the session (logged-on sessions only). */
  renewLease(): void {
    if (this.entry && this.sessionStore instanceof DbSessionStore) this.sessionStore.renew();
  }

  /** Bytes the framer skipped: ignored, as FIX asks of garbled messages. */
  garbled(e: Extract<FrameEvent, { type: 'garbled' }>): void {
    this.ctx.logger.debug({ component: 'fix', address: this.remoteAddress, reason: e.reason, skipped: e.skipped }, 'FIX garbled input ignored');
  }

  /** A message above the size limit: a Logout saying so when logged on, and the connection closes. */
  oversize(bytes: number): void {
    const text = `Message of ${bytes} bytes exceeds the limit of ${this.ctx.maxMessageBytes}.`;
    if (this.phase === 'logged-on') this.protocolLogout(text);
    else this.kill(text);
  }

  /** Every inbound message (jspurefix's own sequencing and logon handling are not used). */
  protected override onMsg(msgType: string, view: MsgView): void {
    if (this.stopped || this.closing) return;
    switch (this.phase) {
      case 'awaiting-logon':
        return this.firstMessage(msgType, view);
      case 'authenticating':
        if (this.queued.length >= MAX_QUEUED_BEFORE_LOGON) return this.kill('too many messages before the logon completed');
        this.queued.push({ msgType, view: view.clone() });
        return;
      case 'logged-on':
        return this.inbound(msgType, view);
    }
  }

  /** Never called: logons are decided in {@link onMsg}. */
  protected onLogon(): boolean {
    return false;
  }

  /** Never called: the session is ready in {@link accept}. */
  protected onReady(): void {}

  private firstMessage(msgType: string, view: MsgView): void {
    if (msgType !== MsgType.Logon) return this.kill(`MsgType ${msgType} received before a Logon`);
    const senderCompId = view.getString(MsgTag.SenderCompID);
    if (!senderCompId || !COMP_ID_PATTERN.test(senderCompId)) return this.kill('Logon without a valid SenderCompID');
    // Whatever we answer goes to the CompID that called.
    (this.config.description as { TargetCompID: string }).TargetCompID = senderCompId;
    this.phase = 'authenticating';
    this.transport?.duplex.readable?.pause();
    const seq = Number(view.getString(MsgTag.MsgSeqNum));
    const logon: LogonFields = {
      seq,
      heartBtInt: Number(view.getString(MsgTag.HeartBtInt)),
      targetCompId: view.getString(MsgTag.TargetCompID),
      senderCompId,
      reset: view.getString(MsgTag.ResetSeqNumFlag) === 'Y',
      username: view.getString(MsgTag.Username),
      password: view.getString(MsgTag.Password),
      cancelOnDisconnect: view.getString(TAG_CANCEL_ON_DISCONNECT),
    };
    if (view.getString(MsgTag.BeginString) !== BEGIN_STRING) return this.refuse(logon, `BeginString must be ${BEGIN_STRING}.`);
    const problem = messageProblem(msgType, view, this.ctx.defs);
    if (problem) return this.refuse(logon, `Invalid Logon: ${problem.text}`);
    if (!Number.isInteger(seq) || seq < 1) return this.refuse(logon, 'MsgSeqNum (34) must be a positive integer.');
    void this.logon(logon);
  }

  private async logon(logon: LogonFields): Promise<void> {
    let outcome: Authorized | string;
    try {
      outcome = await this.authorize(logon);
    } catch (err) {
      this.ctx.logger.error({ component: 'fix', peer: logon.senderCompId, err }, 'FIX logon failed');
      outcome = 'The logon could not be processed; try again.';
    }
    if (typeof outcome === 'string') return this.refuse(logon, outcome);
    if (this.stopped) {
      this.ctx.sessions.release(outcome.account.id, this);
      await outcome.store.release();
      return;
    }
    this.accept(logon, outcome);
  }

  /**
   * The authenticated, claimed session, or the reason the Logon is refused. Nothing about a
   * session is read before the password is verified, and nothing is written before the
   * session is claimed for its owner.
   */
  private async authorize(logon: LogonFields): Promise<Authorized | string> {
    const { ctx } = this;
    if (logon.targetCompId !== ctx.compId) return `TargetCompID must be ${ctx.compId}.`;
    if (!Number.isInteger(logon.heartBtInt) || logon.heartBtInt < MIN_HEARTBEAT_SECONDS || logon.heartBtInt > MAX_HEARTBEAT_SECONDS) {
      return `HeartBtInt must be between ${MIN_HEARTBEAT_SECONDS} and ${MAX_HEARTBEAT_SECONDS} seconds.`;
    }
    const { username, password } = logon;
    if (!username || !password) return 'Username (553) and Password (554) are required.';
    if (logon.cancelOnDisconnect !== null && logon.cancelOnDisconnect !== 'Y' && logon.cancelOnDisconnect !== 'N') {
      return `CancelOrdersOnDisconnect (${TAG_CANCEL_ON_DISCONNECT}) must be Y or N.`;
    }
    // The one password check, budgeted with GraphQL logins (per account and address, on every replica).
    const user = await ctx.services.accounts.checkPassword(username, password, this.remoteAddress, 'fix').catch((e: unknown) => (e instanceof DomainError ? e : Promise.reject(e)));
    if (user instanceof DomainError) return user.message;
    await ctx.services.accounts.recordLogin(user.username, user.id, this.remoteAddress, 'fix', user.disabled ? 'ACCOUNT_DISABLED' : 'OK');
    if (user.disabled) return 'This account is disabled.';
    this.cancelOnDisconnect = logon.cancelOnDisconnect === null ? Boolean(user.cancelOnDisconnect) : logon.cancelOnDisconnect === 'Y';
    if (!ctx.sessions.claim(user.id, this)) return 'The account already has a FIX session.';
    let store: DbSessionStore | undefined;
    try {
      store = ctx.stores.create(new SessionId(BEGIN_STRING, ctx.compId, logon.senderCompId));
      await store.initialize();
      const refusal = await this.claim(store, user.id, logon);
      if (refusal !== undefined) {
        ctx.sessions.release(user.id, this);
        return refusal;
      }
      this.known = await ctx.clOrdIds.load(user.id);
    } catch (err) {
      ctx.sessions.release(user.id, this);
      await store?.release().catch(() => {});
      throw err;
    }
    if (this.stopped) {
      // The connection dropped while we were deciding.
      ctx.sessions.release(user.id, this);
      await store.release();
      return 'Disconnected.';
    }
    return { store, account: { id: user.id, username: user.username }, inSequence: logon.reset || logon.seq === store.targetSeqNum - 1 };
  }

  /** Checks the session the authenticated account names and claims it: undefined, or why not. */
  private async claim(store: DbSessionStore, accountId: number, logon: LogonFields): Promise<string | undefined> {
    if (store.boundAccountId !== undefined && store.boundAccountId !== accountId) return CLAIM_REFUSALS.COMP_ID_OF_OTHER_ACCOUNT;
    const expected = store.targetSeqNum;
    if (!logon.reset && logon.seq < expected) return `MsgSeqNum too low, expecting ${expected} but received ${logon.seq}.`;
    if (logon.reset) await store.reset();
    // The Logon is consumed now when it is the expected message; ahead of it, once the gap is filled.
    if (logon.reset || logon.seq === expected) await store.setTargetSeqNum(logon.seq + 1);
    const claim = await store.claim(accountId);
    return claim === 'OK' ? undefined : CLAIM_REFUSALS[claim];
  }

  /** Our Logon, then a ResendRequest if the counterparty's Logon was ahead, then the messages that waited. */
  private accept(logon: LogonFields, authorized: Authorized): void {
    const { ctx } = this;
    const { store, account } = authorized;
    clearTimeout(this.logonTimer);
    this.sessionStore = store;
    this.sessionId = store.sessionId;
    this.account = account;
    this.journalOf = ctx.journal(this.sessionId.toString());
    store.onLeaseLost = () => {
      // The session goes on in another process: its orders are not ours to cancel.
      this.cancelOnDisconnect = false;
      this.kill('session taken over by another process');
    };
    const transmitter = this.transport?.transmitter as unknown as { msgSeqNum: number } | undefined;
    if (transmitter) transmitter.msgSeqNum = store.senderSeqNum;
    // The heartbeat interval is the one the client asked for; a reset is echoed on our Logon.
    const state = this.sessionState as { heartBeat: number; peerHeartBeatSecs: number; peerCompId: string };
    state.heartBeat = logon.heartBtInt;
    state.peerHeartBeatSecs = logon.heartBtInt;
    state.peerCompId = logon.senderCompId;
    const description = this.config.description as { HeartBtInt: number; ResetSeqNumFlag: boolean };
    description.HeartBtInt = logon.heartBtInt;
    description.ResetSeqNumFlag = logon.reset;
    this.expected = store.targetSeqNum;
    this.sessionState.lastPeerMsgSeqNum = this.expected - 1;
    if (!authorized.inSequence) this.ahead.set(logon.seq, CONSUMED);
    this.phase = 'logged-on';
    this.setState(SessionState.InitiationLogonResponse);
    this.sendLogon();
    (this as unknown as { startTimer(): void }).startTimer();
    this.entry = OrderEntry.start(
      { services: ctx.services, account, clOrdIds: ctx.clOrdIds, dict: ctx.dict, send: (m) => this.sendMessage(m), logger: ctx.logger },
      this.known!,
    );
    ctx.services.metrics.fixSessions.inc();
    ctx.logger.info(
      { component: 'fix', session: this.sessionId.toString(), userId: account.id, address: this.remoteAddress, heartBtInt: logon.heartBtInt },
      'FIX session logged on',
    );
    if (this.ahead.size > 0) this.askResend();
    for (const m of this.queued.splice(0)) this.onMsg(m.msgType, m.view);
    this.transport?.duplex.readable?.resume();
  }

  /** A Logout (5) carrying the reason, then the connection closes. */
  private refuse(logon: Pick<LogonFields, 'senderCompId'>, reason: string): void {
    this.ctx.logger.info({ component: 'fix', peer: logon.senderCompId, address: this.remoteAddress, reason }, 'FIX logon refused');
    this.logoutAndClose(reason);
  }

  /** A message of the logged-on session, in whatever order it came. */
  private inbound(msgType: string, view: MsgView): void {
    const seq = Number(view.getString(MsgTag.MsgSeqNum));
    if (!Number.isInteger(seq) || seq < 1) return this.protocolLogout('MsgSeqNum (34) is missing or not a positive integer.');
    if (view.getString(MsgTag.BeginString) !== BEGIN_STRING) return this.protocolLogout(`BeginString must be ${BEGIN_STRING}.`);
    const sender = view.getString(MsgTag.SenderCompID);
    const target = view.getString(MsgTag.TargetCompID);
    if (sender !== this.sessionId.targetCompID || target !== this.ctx.compId) {
      const tag = sender !== this.sessionId.targetCompID ? MsgTag.SenderCompID : MsgTag.TargetCompID;
      this.sendMessage(sessionReject(seq, msgType, problem(tag, SessionRejectReason.CompidProblem, 'SenderCompID or TargetCompID does not match the session.')));
      return this.protocolLogout('SenderCompID or TargetCompID does not match the session.');
    }
    if (msgType === MsgType.SequenceReset && view.getString(MsgTag.GapFillFlag) !== 'Y') return this.sequenceReset(seq, view);
    if (seq < this.expected) {
      if (view.getString(MsgTag.PossDupFlag) === 'Y') {
        this.ctx.logger.debug({ component: 'fix', session: this.sessionId.toString(), seq, expected: this.expected }, 'FIX possible duplicate already processed: ignored');
        return;
      }
      return this.protocolLogout(`MsgSeqNum too low, expecting ${this.expected} but received ${seq}.`);
    }
    if (seq > this.expected) return this.early(msgType, view, seq);
    this.process(msgType, view, seq);
    this.drain();
  }

  /**
   * A message ahead of the expected one: kept until the gap is filled (a ResendRequest asks for
   * it). A ResendRequest is answered at once and a Logout honoured at once, as FIX asks.
   */
  private early(msgType: string, view: MsgView, seq: number): void {
    if (this.ahead.has(seq)) return;
    if (msgType === MsgType.Logout) {
      super.onSessionMsg(msgType, view);
      return;
    }
    if (this.ahead.size >= MAX_OUT_OF_SEQUENCE) return this.protocolLogout(`More than ${MAX_OUT_OF_SEQUENCE} messages out of sequence.`);
    if (msgType === MsgType.ResendRequest && !messageProblem(msgType, view, this.ctx.defs)) {
      this.onResendRequest(view);
      this.ahead.set(seq, CONSUMED);
    } else {
      this.ahead.set(seq, { msgType, view: view.clone() });
    }
    this.askResend();
  }

  private askResend(): void {
    if (this.resendAsked) return;
    this.resendAsked = true;
    this.ctx.logger.info({ component: 'fix', session: this.sessionId.toString(), from: this.expected }, 'FIX gap: asking for a resend');
    this.send(MsgType.ResendRequest, this.config.factory!.resendRequest(this.expected, 0)!);
  }

  /** Processes the messages that waited for the gap to close. */
  private drain(): void {
    for (let next = this.ahead.get(this.expected); next !== undefined && !this.closing && !this.stopped; next = this.ahead.get(this.expected)) {
      this.ahead.delete(this.expected);
      if (next === CONSUMED) this.advance(this.expected + 1);
      else this.process(next.msgType, next.view, this.expected);
    }
    if (this.ahead.size === 0) this.resendAsked = false;
  }

  /** The expected message: checked against the dictionary, then handled. */
  private process(msgType: string, view: MsgView, seq: number): void {
    this.advance(seq + 1);
    const bad = messageProblem(msgType, view, this.ctx.defs);
    if (bad) {
      this.sendMessage(sessionReject(seq, msgType, bad));
      return;
    }
    switch (msgType) {
      case MsgType.SequenceReset: {
        // GapFill: the messages up to NewSeqNo - 1 will not be sent.
        const newSeqNo = Number(view.getString(MsgTag.NewSeqNo));
        if (!(newSeqNo > seq)) {
          this.sendMessage(sessionReject(seq, msgType, problem(MsgTag.NewSeqNo, SessionRejectReason.ValueIsIncorrect, `NewSeqNo must be above ${seq}.`)));
        } else {
          this.advance(newSeqNo);
        }
        return;
      }
      case MsgType.Logon:
        return this.protocolLogout('Logon received on a logged-on session.');
      case MsgType.Logout:
      case MsgType.TestRequest:
      case MsgType.Heartbeat:
      case MsgType.ResendRequest:
      case MsgType.Reject:
        super.onSessionMsg(msgType, view);
        return;
      default:
        this.onApplicationMsg(msgType, view);
    }
  }

  /** SequenceReset-Reset: MsgSeqNum is ignored; NewSeqNo may move the expected number forward only. */
  private sequenceReset(seq: number, view: MsgView): void {
    const bad = messageProblem(MsgType.SequenceReset, view, this.ctx.defs);
    const newSeqNo = Number(view.getString(MsgTag.NewSeqNo));
    if (bad) {
      this.sendMessage(sessionReject(seq, MsgType.SequenceReset, bad));
    } else if (!Number.isInteger(newSeqNo) || newSeqNo < this.expected) {
      const text = `NewSeqNo ${view.getString(MsgTag.NewSeqNo)} is below the expected MsgSeqNum ${this.expected}.`;
      this.sendMessage(sessionReject(seq, MsgType.SequenceReset, problem(MsgTag.NewSeqNo, SessionRejectReason.ValueIsIncorrect, text)));
    } else {
      this.advance(newSeqNo);
      this.drain();
    }
  }

  /** The counterparty's next message is `next`: messages held below it are superseded. */
  private advance(next: number): void {
    if (next <= this.expected) return;
    const jump = next > this.expected + 1;
    this.expected = next;
    this.sessionState.lastPeerMsgSeqNum = next - 1;
    void this.sessionStore.setTargetSeqNum(next);
    if (jump) for (const seq of [...this.ahead.keys()]) if (seq < next) this.ahead.delete(seq);
  }

  /** A breach of the session protocol: Logout (5) saying what, then the connection closes. */
  private protocolLogout(text: string): void {
    this.ctx.logger.info({ component: 'fix', session: this.sessionId.toString(), address: this.remoteAddress, reason: text }, 'FIX session ended: protocol error');
    this.logoutAndClose(text);
  }

  private logoutAndClose(text: string): void {
    if (this.closing || this.stopped) return;
    this.closing = true;
    this.markClosing();
    this.send(MsgType.Logout, this.config.factory!.logout(MsgType.Logout, text)!, () => setImmediate(() => this.stop()));
  }

  /** The counterparty logs out: a new connection of this session waits until we have ended. */
  protected override peerLogout(view: MsgView): void {
    this.markClosing();
    super.peerLogout(view);
  }

  private markClosing(): void {
    if (this.account && this.sessionStore instanceof DbSessionStore) this.sessionStore.closing = this.ended;
  }

  protected onApplicationMsg(msgType: string, view: MsgView): void {
    const seqNum = Number(view.getString(MsgTag.MsgSeqNum));
    if (SUPPORTED_MSG_TYPES.has(msgType)) this.entry!.handle(msgType, seqNum, view);
    else this.sendMessage(unsupportedMessageReject(seqNum, msgType));
  }

  /**
   * ResendRequest (2): application messages still in the journal are sent again as they were
   * (PossDupFlag=Y, OrigSendingTime); everything else — administrative messages, and anything
   * older than the journal or from before a restart — is skipped with SequenceReset-GapFill.
   */
  protected override onResendRequest(view: MsgView): void {
    const begin = Number(view.getString(MsgTag.BeginSeqNo));
    const requestedEnd = Number(view.getString(MsgTag.EndSeqNo));
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
    clearTimeout(this.logonTimer);
    this.queued.length = 0;
    this.ahead.clear();
    const account = this.account;
    if (this.entry && account) {
      this.entry.close();
      if (this.cancelOnDisconnect) this.cancelOrdersOnDisconnect(account.id);
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

  /** Cancel-on-disconnect: the account's open orders, canceled with reason DISCONNECT (the gateway's stop waits for it). */
  private cancelOrdersOnDisconnect(accountId: number): void {
    const { ctx } = this;
    const done: Promise<void> = ctx.services.killSwitch
      .cancelAll({ accountId }, 'DISCONNECT', 'fix')
      .then(
        ({ canceled }) => ctx.logger.info({ component: 'fix', userId: accountId, canceled }, 'FIX cancel-on-disconnect: open orders canceled'),
        (err: unknown) => ctx.logger.error({ component: 'fix', userId: accountId, err }, 'FIX cancel-on-disconnect failed'),
      )
      .finally(() => ctx.cancels.delete(done));
    ctx.cancels.add(done);
  }

  protected onDecoded(msgType: string, txt: string): void {
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

const problem = (refTagId: number, reason: SessionRejectReason, text: string): SessionProblem => ({ kind: 'session', refTagId, reason, text });

/** The message text without the password. */
function redact(txt: string): string {
  return txt.replace(/(^|\|)554=[^|]*/g, '$1554=***');
}
