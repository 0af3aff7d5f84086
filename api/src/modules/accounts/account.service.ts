import { createHash, randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Role } from './role.js';
import { User } from './user.entity.js';
import { Session } from './session.entity.js';
import { hashPassword, verifyPassword } from './password.js';
import { checkNewPassword } from './password-policy.js';
import { HashQueue } from './hash-queue.js';
import type { LoginLimits } from './login-limits.js';
import { knexOf } from '../../db/knex.js';
import { DomainError, badInput, conflict, notFound } from '../../errors.js';
import type { Knex } from '../../db/knex.js';
import { recordAudit, type AuditActor, type AuditEntry } from '../admin-audit/audit-log.js';

/**
 * The authenticated caller, as loaded for a request or a WebSocket operation (from a short-lived
 * cache that logout, disable and role changes clear on every replica; see {@link AccountService.authenticate}).
 */
export interface AuthUser {
  readonly id: number;
  readonly username: string;
  readonly role: Role;
  readonly sessionId: number;
  /** When the session's token expires (epoch milliseconds). */
  readonly expiresAt: number;
}

/** A token handed out by signUp/login. The token is shown once and stored only as a hash. */
export interface IssuedSession {
  readonly token: string;
  readonly expiresAt: Date;
  readonly user: User;
}

/** A listener told when a user's sessions stop being valid (logout, disable), to close sockets. */
/** `reason` DISABLED: an administrator disabled the account (else a logout or a revoked session). */
export type RevocationListener = (userId: number, sessionId?: number, reason?: 'DISABLED') => void;

const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;
/** How long an authenticated token is trusted without asking the database (bounds staleness if a bus message is lost). */
const SESSION_CACHE_MS = 5_000;
const SESSION_CACHE_MAX = 100_000;
/** The stored form of a bearer token (SHA-256, hex): what sessions are looked up by. */
export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');
/** Token lengths accepted (issued tokens are 43 characters); anything else is refused unhashed. */
const plausibleToken = (token: string) => token.length >= 20 && token.length <= 200;

export interface AccountServiceOptions {
  readonly tokenTtlSeconds: number;
  /** Budgets of password checks and sign-ups, shared by every channel (and replica, with Redis). */
  readonly limits: LoginLimits;
  /** Password hashes computed at once, and how many logins / sign-ups may wait for one. */
  readonly hashConcurrency: number;
  readonly hashQueue: number;
  /** Told of every refused password check (never the password): the security log. */
  readonly onLoginFailed?: (failure: LoginFailure) => void;
  readonly now?: () => Date;
}

/** A refused password check, for the security log. */
export interface LoginFailure {
  readonly username: string;
  readonly address: string;
  /** GraphQL login or FIX Logon. */
  readonly channel: LoginChannel;
  /** BAD_CREDENTIALS, LOGIN_RATE_LIMITED or AUTH_BUSY. */
  readonly reason: string;
}

/** Where a password check comes from. */
export type LoginChannel = 'graphql' | 'fix';

/**
 * Accounts, passwords, sessions and roles.
 *
 * Writes use `em.insert` / `em.nativeUpdate`, never `flush()`: MikroORM's unit of work runs each
 * flush inside an AsyncLocalStorage, and on Node 20 the first one turns on promise hooks for the
 * rest of the process — every promise created afterwards, on every request and every
 * subscription message, then pays for async-context tracking (about a tenth of the server's CPU
 * under load). Each write here is a single row, so the unit of work had nothing to add.
 */
export class AccountService {
  /** Bounds password hashing so a flood of sign-ups or logins cannot starve the rest. */
  readonly hashing: HashQueue;
  private readonly listeners = new Set<RevocationListener>();
  private readonly changeListeners = new Set<(userId: number) => void>();
  /**
   * tokenHash → the caller it authenticated. Saves a query per request; entries live at most
   * {@link SESSION_CACHE_MS} and are dropped at once on logout, disable and role change here,
   * and on other replicas through {@link forget} (bus messages).
   */
  private readonly sessions = new Map<string, { user: AuthUser; userId: number; until: number }>();
  /**
   * Bumped by every {@link forget}: a session read from the database while a change was being
   * forgotten may predate the change, so it is answered but not cached.
   */
  private generation = 0;
  private readonly now: () => Date;

  constructor(
    private readonly orm: MikroORM,
    private readonly options: AccountServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.hashing = new HashQueue(options.hashConcurrency, options.hashQueue);
  }

  /** Registers a listener for changes to a user that other replicas must hear (role); returns the unsubscribe function. */
  onChanged(listener: (userId: number) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Drops cached sessions of a user (their role, status or sessions changed somewhere). */
  forget(userId: number): void {
    this.generation++;
    for (const [k, v] of this.sessions) if (v.userId === userId) this.sessions.delete(k);
  }

  /** Registers a listener for revoked sessions; returns the unsubscribe function. */
  onRevoked(listener: RevocationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Creates a TRADER account and logs it in. Refuses weak passwords (password-policy.ts), and
   * counts against the sign-up budget of `address` before anything is looked up or hashed.
   */
  async signUp(username: string, password: string, address: string): Promise<IssuedSession> {
    validateCredentials(username, password);
    const refund = await this.options.limits.reserveSignUp(address);
    const em = this.orm.em.fork();
    if (await this.idByUsername(username)) throw conflict('USERNAME_TAKEN', 'This username is taken.');
    let passwordHash: string;
    try {
      passwordHash = await this.hashing.run('signUp', () => hashPassword(password));
    } catch (e) {
      await refund();
      throw e;
    }
    const user = em.create(User, {
      username,
      passwordHash,
      role: Role.TRADER,
      memberSince: this.now().toISOString().slice(0, 10),
      disabled: false,
      cancelOnDisconnect: false,
      createdAt: this.now(),
    });
    try {
      await em.insert(user);
    } catch (e) {
      if (e instanceof UniqueConstraintViolationException) {
        throw conflict('USERNAME_TAKEN', 'This username is taken.');
      }
      throw e;
    }
    return this.issue(user, null);
  }

  /** Checks a password and opens a session (the GraphQL login). */
  async login(username: string, password: string, address: string): Promise<IssuedSession> {
    const user = await this.checkPassword(username, password, address, 'graphql');
    if (user.disabled) {
      await this.recordLogin(username, user.id, address, 'graphql', 'ACCOUNT_DISABLED');
      throw new DomainError('FORBIDDEN', 'ACCOUNT_DISABLED', 'This account is disabled.');
    }
    return this.issue(user, address);
  }

  /**
   * Appends a login attempt to the audit trail (username, address, channel, outcome), in `trx`
   * when given (a successful GraphQL login: the session's transaction). Refusals by the login
   * budgets (LOGIN_RATE_LIMITED, AUTH_BUSY) are not written: they cost nothing by design, and a
   * row each would let a flood write without limit; the security log and metrics count them.
   */
  async recordLogin(username: string, userId: number | null, address: string, channel: LoginChannel, outcome: string, trx?: Knex.Transaction): Promise<void> {
    await recordAudit(trx ?? knexOf(this.orm), { id: userId, username, address }, { action: 'LOGIN', details: { channel }, outcome }, this.now());
  }

  /**
   * The user whose password this is (disabled or not: the caller decides), else a DomainError:
   * UNAUTHENTICATED / BAD_CREDENTIALS, TOO_MANY_REQUESTS / LOGIN_RATE_LIMITED, or
   * TOO_MANY_REQUESTS / AUTH_BUSY. The one password check of every channel (GraphQL login, FIX
   * Logon): its budget (login-limits.ts) is reserved before the hash and refunded on success.
   */
  async checkPassword(username: string, password: string, address: string, channel: LoginChannel): Promise<User> {
    try {
      const reservation = await this.options.limits.reserve(username, address);
      let user: User | undefined;
      try {
        user = await this.hashing.run('login', () => this.verify(username, password));
      } catch (e) {
        await reservation.cancelled();
        throw e;
      }
      if (!user) {
        await this.recordLogin(username, (await this.idByUsername(username)) ?? null, address, channel, 'BAD_CREDENTIALS');
        throw new DomainError('UNAUTHENTICATED', 'BAD_CREDENTIALS', 'Wrong username or password.');
      }
      await reservation.succeeded();
      return user;
    } catch (e) {
      if (e instanceof DomainError) this.options.onLoginFailed?.({ username, address, channel, reason: e.reason });
      throw e;
    }
  }

  /** The user whose password this is, or undefined. Unbudgeted: callers go through {@link checkPassword}. */
  private async verify(username: string, password: string): Promise<User | undefined> {
    const id = await this.idByUsername(username);
    const user = id ? await this.orm.em.fork().findOne(User, { id }, { populate: ['passwordHash'] }) : null;
    // Hash anyway when the user is unknown, so timing does not reveal which usernames exist.
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    return ok && user ? user : undefined;
  }

  /** The caller behind a bearer token, or undefined when the token is unknown, expired, revoked or the user disabled. */
  async authenticate(token: string): Promise<AuthUser | undefined> {
    return plausibleToken(token) ? this.authenticateHash(tokenHash(token)) : undefined;
  }

  /**
   * {@link authenticate} by the token's {@link tokenHash} (a WebSocket keeps the hash and asks
   * again before each operation). Answers from the cache while its entry lives: at most
   * {@link SESSION_CACHE_MS}, never past the token's expiry, and dropped as soon as a logout,
   * disable or role change of the user is heard (here or from another replica over the bus).
   */
  async authenticateHash(hash: string): Promise<AuthUser | undefined> {
    const nowMs = this.now().getTime();
    const cached = this.sessions.get(hash);
    if (cached && cached.until > nowMs) return cached.user;
    this.sessions.delete(hash);
    const generation = this.generation;
    const user = await this.sessionUser({ tokenHash: hash }, nowMs);
    if (!user || generation !== this.generation) return user;
    if (this.sessions.size >= SESSION_CACHE_MAX) this.sessions.clear();
    this.sessions.set(hash, { user, userId: user.id, until: Math.min(user.expiresAt, nowMs + SESSION_CACHE_MS) });
    return user;
  }

  /**
   * The session's caller as the database says now, bypassing the cache: for privileged
   * operations (role-restricted), so a demotion or disable made on another replica holds at once
   * even before that replica's bus message arrives. Undefined when the session no longer holds.
   */
  async currentUser(sessionId: number): Promise<AuthUser | undefined> {
    return this.sessionUser({ id: sessionId }, this.now().getTime());
  }

  private async sessionUser(where: { tokenHash: string } | { id: number }, nowMs: number): Promise<AuthUser | undefined> {
    const session = await this.orm.em.fork().findOne(Session, where, { populate: ['user'] });
    if (!session || session.revokedAt || session.expiresAt.getTime() <= nowMs || session.user.disabled) return undefined;
    return { id: session.user.id, username: session.user.username, role: session.user.role, sessionId: session.id, expiresAt: session.expiresAt.getTime() };
  }

  /** Revokes one session (logout). */
  async logout(sessionId: number, userId: number): Promise<void> {
    const em = this.orm.em.fork();
    await em.nativeUpdate(Session, { id: sessionId, revokedAt: null }, { revokedAt: this.now() });
    this.forget(userId);
    for (const l of this.listeners) l(userId, sessionId);
  }

  async findUser(id: number): Promise<User | null> {
    return this.orm.em.fork().findOne(User, { id });
  }

  /** Users, oldest first, keyset-paginated by id. */
  async listUsers(after: number | undefined, first: number): Promise<{ users: User[]; hasNextPage: boolean }> {
    const em = this.orm.em.fork();
    const users = await em.find(User, after ? { id: { $gt: after } } : {}, { orderBy: { id: 'asc' }, limit: first + 1 });
    return { users: users.slice(0, first), hasNextPage: users.length > first };
  }

  /** Changes a user's role; it applies to the user's very next request. Audited. */
  async setRole(actor: AuditActor, userId: number, role: Role): Promise<User> {
    if (actor.id === userId && role !== Role.ADMIN) {
      throw conflict('CANNOT_DEMOTE_SELF', 'An admin cannot remove their own admin role.');
    }
    const user = await this.updateUser(userId, { role }, actor, { action: 'SET_ROLE', target: String(userId), details: { role } });
    this.forget(userId);
    for (const l of this.changeListeners) l(userId);
    return user;
  }

  /** Disables or enables a user. Disabling revokes every session at once (in the same transaction). Audited. */
  async setDisabled(actor: AuditActor, userId: number, disabled: boolean): Promise<User> {
    if (actor.id === userId && disabled) throw conflict('CANNOT_DISABLE_SELF', 'An admin cannot disable themselves.');
    const audit: AuditEntry = { action: disabled ? 'DISABLE_ACCOUNT' : 'ENABLE_ACCOUNT', target: String(userId) };
    const user = await this.updateUser(userId, { disabled }, actor, audit, async (trx) => {
      if (disabled) await trx('sessions').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: this.now() });
    });
    if (disabled) {
      this.forget(userId);
      for (const l of this.listeners) l(userId, undefined, 'DISABLED');
    }
    return user;
  }

  /** Sets the membership start date (YYYY-MM-DD). Audited. */
  async setMemberSince(actor: AuditActor, userId: number, date: string): Promise<User> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)) || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date) {
      throw badInput('INVALID_DATE', 'Membership start must be a date as YYYY-MM-DD.', 'memberSince');
    }
    return this.updateUser(userId, { memberSince: date }, actor, { action: 'SET_MEMBER_SINCE', target: String(userId), details: { memberSince: date } });
  }

  /**
   * Whether the account's FIX sessions cancel its open orders when they end (the default; a
   * Logon may override it with tag 8013). `actor` is audited when it changes another account.
   */
  async setCancelOnDisconnect(actor: AuditActor, userId: number, enabled: boolean): Promise<User> {
    const audit: AuditEntry | undefined = actor.id === userId ? undefined : { action: 'SET_CANCEL_ON_DISCONNECT', target: String(userId), details: { enabled } };
    return this.updateUser(userId, { cancelOnDisconnect: enabled }, actor, audit);
  }

  /**
   * Creates the admin account if no user has that name. Returns the generated password when one
   * was generated (to be printed once), else undefined.
   */
  async ensureAdmin(username: string, password: string | undefined, generate: () => string): Promise<string | undefined> {
    const em = this.orm.em.fork();
    if ((await knexOf(this.orm)('users').select('id').where({ username }).first()) !== undefined) return undefined;
    const pw = password ?? generate();
    try {
      checkNewPassword(pw, username);
    } catch (e) {
      throw e instanceof DomainError ? new Error(`The admin password (ADMIN_PASSWORD) is refused: ${e.message}`) : e;
    }
    const admin = em.create(User, {
      username,
      passwordHash: await hashPassword(pw),
      role: Role.ADMIN,
      memberSince: this.now().toISOString().slice(0, 10),
      disabled: false,
      cancelOnDisconnect: false,
      createdAt: this.now(),
    });
    try {
      await em.insert(admin);
    } catch (e) {
      // Another replica created it first: theirs stands (and theirs printed the password).
      if (e instanceof UniqueConstraintViolationException) return undefined;
      throw e;
    }
    return password ? undefined : pw;
  }

  /**
   * The id of the account with this username, compared case-insensitively: usernames are unique
   * regardless of case on every database (MySQL: the column's case-insensitive collation;
   * SQLite: a unique index on lower(username), migration 0004), so "alice" and "ALICE" are one
   * account and one rate-limit key.
   */
  private async idByUsername(username: string): Promise<number | undefined> {
    // Through knex, with the username as a bound parameter: MikroORM's execute() (and its entity
    // queries) inline parameters into the SQL text, which a NUL byte cuts short on SQLite.
    const key = username.toLowerCase();
    const row = (await knexOf(this.orm)('users').select('id', 'username').whereRaw('lower(username) = ?', [key]).first()) as { id: number; username: string } | undefined;
    // MySQL's collation also ignores some characters (NUL among them): "alice\0" matched "alice",
    // under a rate-limit key of its own. Only the same name, in any case, is the account.
    return row && row.username.toLowerCase() === key ? Number(row.id) : undefined;
  }

  /**
   * Updates one user's row and, in the same transaction, whatever `also` writes and the audit
   * row (when `audit` is given): the change and its record commit or roll back together.
   */
  private async updateUser(
    userId: number,
    patch: Partial<Pick<User, 'role' | 'disabled' | 'memberSince' | 'cancelOnDisconnect'>>,
    actor?: AuditActor,
    audit?: AuditEntry,
    also?: (trx: Knex.Transaction) => Promise<void>,
  ): Promise<User> {
    const em = this.orm.em.fork();
    const user = await em.findOne(User, { id: userId });
    if (!user) throw notFound('USER_NOT_FOUND', 'No such user.');
    const columns: Record<string, unknown> = {};
    if (patch.role !== undefined) columns.role = patch.role;
    if (patch.disabled !== undefined) columns.disabled = patch.disabled;
    if (patch.memberSince !== undefined) columns.member_since = patch.memberSince;
    if (patch.cancelOnDisconnect !== undefined) columns.cancel_on_disconnect = patch.cancelOnDisconnect;
    await knexOf(this.orm).transaction(async (trx) => {
      await trx('users').where({ id: userId }).update(columns);
      await also?.(trx);
      if (actor && audit) await recordAudit(trx, actor, audit, this.now());
    });
    return Object.assign(user, patch);
  }

  /** Opens a session; `address`: a login's, recorded in the audit trail with it (a sign-up's is not a login). */
  private async issue(user: User, address: string | null): Promise<IssuedSession> {
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = new Date(now.getTime() + this.options.tokenTtlSeconds * 1000);
    await knexOf(this.orm).transaction(async (trx) => {
      await trx('sessions').insert({ token_hash: tokenHash(token), user_id: user.id, created_at: now, expires_at: expiresAt, revoked_at: null });
      if (address !== null) await this.recordLogin(user.username, user.id, address, 'graphql', 'OK', trx);
    });
    return { token, expiresAt, user };
  }
}

function validateCredentials(username: string, password: string): void {
  if (!USERNAME.test(username)) {
    throw badInput('INVALID_USERNAME', 'Username: 3 to 32 letters, digits, dot, dash or underscore.', 'username');
  }
  checkNewPassword(password, username);
}

/** A valid hash of a random password: verifying against it costs what a real check costs. */
const DUMMY_HASH = await hashPassword(randomBytes(16).toString('hex'));
