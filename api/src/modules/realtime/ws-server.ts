import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import {
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  getOperationAST,
  parse,
  validate,
  specifiedRules,
  type DocumentNode,
  type ExecutionArgs,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { Services } from '../../services.js';
import type { GqlContext } from '../../graphql/context.js';
import { tokenHash, type AuthUser } from '../accounts/account.service.js';
import { bearer } from '../../graphql/auth.js';
import { OperationLimits, depthLimit, operationBudget } from '../../graphql/limits.js';
import { addressBucket, clientAddress } from '../../graphql/client-address.js';
import { logInternalError, toGraphQLError } from '../../errors.js';
import { randomUUID } from 'node:crypto';
import { rememberRequest, subscribeShared } from './shared.js';
import { SocketBudgets, isRefusal, type Refusal, type RefusalReason, type Reservation } from './socket-budgets.js';
import { isOrderPathDocument } from '../orders/admission.js';

/** Admission releases of order-path operations in flight on a socket, by operation id. */
const admitted = new WeakMap<object, Map<string, () => void>>();

/** WebSocket close codes sent by this server (4400–4499: application codes). */
export const CLOSE = {
  /** The session was revoked (logout, disable), or found revoked when the socket asked again: log in again. */
  SESSION_REVOKED: 4401,
  /** The session's token expired while the socket was open (same code as revoked; the reason says which). */
  SESSION_EXPIRED: 4401,
  /** The token given in connectionParams is not valid. */
  FORBIDDEN: 4403,
  /** Too many connections for this user, or from this address. */
  TOO_MANY_CONNECTIONS: 4429,
  /** The server is shutting down: reconnect (to another replica). */
  GOING_AWAY: 1001,
  /** The process holds as many sockets as it may (WS_MAX_CONNECTIONS): try later or another replica. */
  TRY_AGAIN_LATER: 1013,
} as const;

/** Subscriptions a socket without a token may start: the public market data the logged-out screens show. */
export const PUBLIC_SUBSCRIPTIONS: ReadonlySet<string> = new Set(['orderBook', 'trades', 'quotes']);
/** Mutations a socket without a token may send: getting a token (budgeted like over HTTP). */
export const PUBLIC_MUTATIONS: ReadonlySet<string> = new Set(['login', 'signUp']);

/** Longest delay setTimeout takes (about 24.8 days); a later expiry is re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface SocketState {
  readonly address: string;
  /** The key of the address's budgets (IPv6: its /64). */
  readonly bucket: string;
  /** The caller as of the last operation (role changes apply from the next one). */
  user?: AuthUser;
  /** The session's token hash, asked again before every operation. */
  tokenHash?: string;
  /** The session ended (expired, revoked, disabled) or the socket is closing: nothing more is delivered. */
  ended: boolean;
  expiry?: NodeJS.Timeout;
  /** Operation id → its hold on the budgets, until it completes or the socket closes. */
  readonly operations: Map<string, Reservation>;
}

/** A parsed and validated query text, shared by every operation sending the same text. */
interface KnownDocument {
  readonly document: DocumentNode;
  /** Names the text in shared execution keys (shared.ts) without a copy of it per subscription. */
  readonly key: string;
}

const refusalError = (r: Refusal) => new GraphQLError(r.message, { extensions: { code: r.code, reason: r.reason } });
const sessionEnded = () =>
  new GraphQLError('The session of this socket has ended (expired, logged out or disabled): log in again.', { extensions: { code: 'UNAUTHENTICATED', reason: 'SESSION_ENDED' } });

/**
 * False when the operation named is neither a subscription of public topics only nor a mutation
 * that only logs in or signs up (root fields through fragments included). An operation that
 * cannot be identified passes: graphql-ws refuses it anyway.
 */
function isPublicOperation(document: DocumentNode, operationName: string | null | undefined): boolean {
  const op = getOperationAST(document, operationName);
  if (!op) return true;
  if (op.operation === 'query') return false;
  const allowed = op.operation === 'subscription' ? PUBLIC_SUBSCRIPTIONS : PUBLIC_MUTATIONS;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const seen = new Set<string>();
  const publicOnly = (set: SelectionSetNode): boolean =>
    set.selections.every((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === '__typename' || allowed.has(s.name.value);
      if (s.kind === Kind.INLINE_FRAGMENT) return publicOnly(s.selectionSet);
      if (seen.has(s.name.value)) return true;
      seen.add(s.name.value);
      const f = fragments.get(s.name.value);
      return f !== undefined && publicOnly(f.selectionSet);
    });
  return publicOnly(op.selectionSet);
}

/**
 * graphql-ws on the same HTTP server and path as queries. Authenticates from connectionParams
 * (`authorization: "Bearer <token>"`, same token as HTTP) and again before every operation, so
 * role changes, logouts, disables and expiry act on open sockets (from the session cache that
 * the bus keeps current on every replica; role-restricted operations ask the database, see
 * auth-checker.ts). A socket is closed (4401) when its token expires or its session is revoked.
 * Sockets without a token may start public market-data subscriptions only.
 *
 * Budgets (socket-budgets.ts, limits in config.ts): sockets per address and in the process,
 * operations per socket, per address and in the process, distinct query texts per address and
 * in the process (their count, characters and summed complexity); each refusal is coded (a close code, or an `error` message with
 * `extensions.code` and `reason`). Equal query texts share one parsed document.
 */
export function attachWebSocketServer(http: Server, schema: GraphQLSchema, services: Services): { close(): Promise<void> } {
  const { config, metrics, logger } = services;
  const production = config.NODE_ENV === 'production';
  const wss = new WebSocketServer({ server: http, path: '/graphql', maxPayload: config.WS_MAX_PAYLOAD });
  const sockets = new Map<WebSocket, SocketState>();
  const perUser = new Map<number, number>();
  // As over HTTP: production refuses introspection on the socket too.
  const rules = [...specifiedRules, depthLimit(config.GRAPHQL_MAX_DEPTH), ...(production ? [NoSchemaIntrospectionCustomRule] : [])];
  const toClientError = (e: GraphQLError) => {
    const mapped = toGraphQLError(e, production);
    if (mapped.extensions.code === 'INTERNAL_SERVER_ERROR') logInternalError(logger, 'realtime', e);
    return mapped;
  };
  const limits = new OperationLimits(schema, operationBudget(config));
  const budgets = new SocketBudgets({
    connectionsPerAddress: config.WS_MAX_CONNECTIONS_PER_ADDRESS,
    connections: config.WS_MAX_CONNECTIONS,
    operationsPerAddress: config.WS_MAX_SUBSCRIPTIONS_PER_ADDRESS,
    operations: config.WS_MAX_SUBSCRIPTIONS_TOTAL,
    documentsPerAddress: config.WS_MAX_DOCUMENTS_PER_ADDRESS,
    documents: config.WS_MAX_DOCUMENTS,
    documentChars: config.WS_MAX_DOCUMENT_CHARS,
    documentComplexity: config.WS_MAX_DOCUMENT_COMPLEXITY,
  });
  /** Query text → its parsed document, while an active operation uses it (bounded by the budgets). */
  const documents = new Map<string, KnownDocument>();
  let documentIds = 0;
  const refused = (reason: RefusalReason) => metrics.wsRefusals.inc({ reason });
  const release = (r: Reservation) => {
    if (budgets.release(r)) documents.delete(r.text);
  };

  /** Ends a socket's session: nothing more is delivered, and the socket is closed with 4401. */
  const endSession = (socket: WebSocket, st: SocketState, reason: string) => {
    st.ended = true;
    clearTimeout(st.expiry);
    socket.close(CLOSE.SESSION_REVOKED, reason);
  };
  /** Closes the socket when its token expires (re-armed when the expiry is beyond one timer). */
  const armExpiry = (socket: WebSocket, st: SocketState, expiresAt: number) => {
    const ms = expiresAt - Date.now();
    if (ms <= 0) return endSession(socket, st, 'Session expired');
    st.expiry = setTimeout(() => armExpiry(socket, st, expiresAt), Math.min(ms, MAX_TIMER_MS));
    st.expiry.unref();
  };

  wss.on('connection', (socket, request) => {
    const address = clientAddress(request, config.TRUSTED_PROXIES);
    const bucket = addressBucket(address);
    // ws closes the socket itself on a protocol error (1009 for a frame above maxPayload) and
    // reports it here: one structured line. graphql-ws adds a listener of its own that prints an
    // unstructured console line and closes again: it is taken off once it has been added.
    const onError = (err: Error & { code?: string }) => {
      const oversized = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
      logger.warn(
        { component: 'realtime', event: oversized ? 'ws_frame_too_large' : 'ws_error', address, userId: sockets.get(socket)?.user?.id, limitBytes: config.WS_MAX_PAYLOAD, error: err.message },
        oversized ? 'websocket frame above the size limit; socket closed' : 'websocket error',
      );
    };
    socket.on('error', onError);
    queueMicrotask(() => {
      for (const listener of socket.listeners('error')) if (listener !== onError) socket.off('error', listener as (...args: unknown[]) => void);
    });
    const refusal = budgets.openSocket(bucket);
    if (refusal) {
      refused(refusal.reason);
      socket.close(refusal.code === 'SERVICE_UNAVAILABLE' ? CLOSE.TRY_AGAIN_LATER : CLOSE.TOO_MANY_CONNECTIONS, refusal.message);
      return;
    }
    sockets.set(socket, { address, bucket, ended: false, operations: new Map() });
    metrics.wsConnections.inc();
    socket.once('close', () => {
      const st = sockets.get(socket);
      if (!st) return;
      st.ended = true;
      clearTimeout(st.expiry);
      for (const r of st.operations.values()) release(r);
      st.operations.clear();
      for (const admission of admitted.get(st)?.values() ?? []) admission();
      admitted.delete(st);
      budgets.closeSocket(st.bucket);
      if (st.user) perUser.set(st.user.id, Math.max(0, (perUser.get(st.user.id) ?? 1) - 1));
      sockets.delete(socket);
      metrics.wsConnections.dec();
      metrics.wsDisconnects.inc();
    });
  });

  const disposable = useServer<Record<string, unknown>, { state?: SocketState }>(
    {
      schema,
      // Public updates are executed once per update and request, not once per subscriber (shared.ts).
      subscribe: subscribeShared,
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        const st = sockets.get(socket);
        if (!st) return false;
        const raw = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        if (raw !== undefined) {
          const token = typeof raw === 'string' ? (bearer(raw) ?? raw) : undefined;
          const user = token ? await services.accounts.authenticate(token) : undefined;
          if (!user) {
            socket.close(CLOSE.FORBIDDEN, 'Invalid or expired token');
            return false;
          }
          if (st.ended) return false;
          const count = perUser.get(user.id) ?? 0;
          if (count >= config.WS_MAX_CONNECTIONS_PER_USER) {
            refused('TOO_MANY_CONNECTIONS_FOR_USER');
            socket.close(CLOSE.TOO_MANY_CONNECTIONS, 'Too many connections for this user');
            return false;
          }
          perUser.set(user.id, count + 1);
          st.user = user;
          st.tokenHash = tokenHash(token!);
          armExpiry(socket, st, user.expiresAt);
        }
        ctx.extra.state = st;
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        const st = ctx.extra.state;
        if (!st) return [new GraphQLError('Not connected.', { extensions: { code: 'UNAUTHENTICATED' } })];
        if (st.tokenHash) {
          // The session as it is now: role, revocation, disable, expiry (cached; see authenticateHash).
          const user = st.ended ? undefined : await services.accounts.authenticateHash(st.tokenHash);
          if (!user || st.ended) {
            if (!st.ended) endSession(ctx.extra.socket, st, 'Session expired or revoked');
            return [sessionEnded()];
          }
          st.user = user;
        }
        // A closed socket's holds were given back when it closed: it takes no new ones. (From here
        // on nothing awaits until the operation is recorded in st.operations.)
        if (st.ended) return [sessionEnded()];
        const max = st.user ? config.WS_MAX_SUBSCRIPTIONS : Math.min(config.WS_MAX_SUBSCRIPTIONS, config.WS_MAX_ANONYMOUS_SUBSCRIPTIONS);
        if (st.operations.size >= max) {
          refused('TOO_MANY_SUBSCRIPTIONS');
          return [
            new GraphQLError(`At most ${max} subscriptions per connection${st.user ? '' : ' without a token'}.`, {
              extensions: { code: 'TOO_MANY_REQUESTS', reason: 'TOO_MANY_SUBSCRIPTIONS' },
            }),
          ];
        }
        const reservation = budgets.reserve(st.bucket, payload.query);
        if (isRefusal(reservation)) {
          refused(reservation.reason);
          return [refusalError(reservation)];
        }
        const refuse = (errors: readonly GraphQLError[]) => {
          release(reservation);
          return errors;
        };
        let known = documents.get(payload.query);
        if (!known) {
          let document;
          try {
            document = parse(payload.query);
          } catch (e) {
            return refuse([new GraphQLError((e as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })]);
          }
          // Its shape first (linear), before the validation it would make slow.
          const shape = limits.checkDocument(document, payload.operationName ?? undefined);
          if (shape) return refuse([new GraphQLError(shape.message, { extensions: { code: shape.code, reason: shape.reason } })]);
          const errors = validate(schema, document, rules);
          if (errors.length > 0) return refuse(errors.map((e) => toGraphQLError(e, production)));
          known = { document, key: String(++documentIds) };
          documents.set(payload.query, known);
        }
        const { document } = known;
        const refusal = limits.check(document, payload.operationName ?? undefined, payload.variables ?? {});
        if (refusal) return refuse([new GraphQLError(refusal.message, { extensions: { code: refusal.code, reason: refusal.reason } })]);
        const complexity = limits.priceOf(document, payload.operationName ?? undefined, payload.variables ?? {});
        const heavy = budgets.weigh(reservation, complexity);
        if (heavy) {
          refused(heavy.reason);
          return refuse([refusalError(heavy)]);
        }
        if (!st.user && !isPublicOperation(document, payload.operationName)) {
          refused('LOGIN_REQUIRED');
          return refuse([
            new GraphQLError(`Without a token, a socket may only subscribe to public market data (${[...PUBLIC_SUBSCRIPTIONS].join(', ')}) or log in (${[...PUBLIC_MUTATIONS].join(', ')}).`, {
              extensions: { code: 'UNAUTHENTICATED', reason: 'LOGIN_REQUIRED' },
            }),
          ]);
        }
        if (isOrderPathDocument(payload.query)) {
          // Admission control, as over HTTP: a full order path refuses at once with a retry hint.
          const verdict = services.admission.enter();
          if ('refusal' in verdict) return refuse([toGraphQLError(verdict.refusal, production)]);
          const releases = admitted.get(st) ?? new Map<string, () => void>();
          admitted.set(st, releases);
          releases.set(id, verdict.release);
        }
        st.operations.set(id, reservation);
        const contextValue: GqlContext = {
          services,
          user: st.user,
          reqId: randomUUID(),
          address: st.address,
          ...(st.user ? { sessionLive: () => !st.ended && Date.now() < st.user!.expiresAt, currentUser: () => st.user } : {}),
        };
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
        };
        rememberRequest(args, known.key);
        return args;
      },
      onComplete: (ctx, id) => {
        const st = ctx.extra.state;
        const admission = st ? admitted.get(st)?.get(id) : undefined;
        if (admission) {
          admission();
          admitted.get(st!)!.delete(id);
        }
        const r = st?.operations.get(id);
        if (!st || !r) return;
        st.operations.delete(id);
        release(r);
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if ('errors' in result && result.errors?.length) {
          return { ...result, errors: result.errors.map(toClientError) };
        }
        return undefined;
      },
      onError: (_ctx, _id, _payload, errors) => errors.map(toClientError),
    },
    wss,
  );

  // Close the sockets of revoked sessions, wherever the revocation happened.
  const revoked = services.bus.pubsub.subscribe('revoked');
  void (async () => {
    try {
      for await (const r of revoked) {
        for (const [socket, st] of sockets) {
          if (st.user?.id === r.userId && (r.sessionId === undefined || r.sessionId === st.user.sessionId)) {
            endSession(socket, st, r.reason === 'DISABLED' ? 'Account disabled' : 'Session revoked');
          }
        }
      }
    } catch (err) {
      logger.error({ component: 'realtime', err }, 'revocation listener stopped');
    }
  })();

  // A user's role changed (on any replica): their open sockets take the role as the database has it now.
  const changed = services.bus.pubsub.subscribe('userChanged');
  void (async () => {
    try {
      for await (const { userId } of changed) {
        for (const [socket, st] of sockets) {
          if (st.user?.id !== userId || st.ended) continue;
          const sessionId = st.user.sessionId;
          void services.accounts.currentUser(sessionId).then(
            (fresh) => {
              if (st.ended || st.user?.sessionId !== sessionId) return;
              if (fresh) st.user = fresh;
              else endSession(socket, st, 'Session revoked');
            },
            (err: unknown) => logger.warn({ component: 'realtime', userId, err }, 'could not refresh a socket after a role change'),
          );
        }
      }
    } catch (err) {
      logger.error({ component: 'realtime', err }, 'role-change listener stopped');
    }
  })();

  return {
    close: async () => {
      await revoked.return(undefined);
      await changed.return(undefined);
      // What was committed reaches its subscribers before their sockets close: every batch
      // published, every subscription's queue taken, every socket's buffer written (bounded).
      await services.publisher.idle();
      const deadline = Date.now() + (config.SHUTDOWN_GRACE_SECONDS * 1000) / 4;
      // With Redis, what this process published is still on its way back: wait for it.
      if (!(await services.bus.flush(Math.max(0, deadline - Date.now())))) {
        logger.warn({ component: 'realtime' }, 'bus did not echo its fence before the shutdown deadline; closing sockets anyway');
      }
      const flushed = () => services.bus.pubsub.pending() === 0 && [...sockets.keys()].every((s) => s.bufferedAmount === 0);
      // Twice in a row: a subscription that has just taken its next message (a book stream's
      // coalesced update, say) writes it once its previous write's callback has run.
      for (let quiet = 0; quiet < 2 && Date.now() < deadline; ) {
        await new Promise((r) => setTimeout(r, 5));
        quiet = flushed() ? quiet + 1 : 0;
      }
      for (const socket of sockets.keys()) socket.close(CLOSE.GOING_AWAY, 'Server shutting down; reconnect');
      await disposable.dispose();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}
