import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, parse, validate, specifiedRules, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import type { Services } from '../../services.js';
import type { GqlContext } from '../../graphql/context.js';
import type { AuthUser } from '../accounts/account.service.js';
import { bearer } from '../../server.js';
import { complexityOf, depthLimit } from '../../graphql/limits.js';
import { toGraphQLError } from '../../errors.js';
import { clientAddress } from '../../graphql/client-address.js';
import { randomUUID } from 'node:crypto';
import { rememberRequest, subscribeShared } from './shared.js';

/** WebSocket close codes sent by this server (4400–4499: application codes). */
export const CLOSE = {
  /** The session was revoked (logout, disable): log in again. */
  SESSION_REVOKED: 4401,
  /** The token given in connectionParams is not valid. */
  FORBIDDEN: 4403,
  /** Too many connections for this user. */
  TOO_MANY_CONNECTIONS: 4429,
  /** The server is shutting down: reconnect (to another replica). */
  GOING_AWAY: 1001,
} as const;

interface SocketState {
  user?: AuthUser;
  /** The client's address (X-Forwarded-For from TRUSTED_PROXIES only), from the upgrade request. */
  readonly address: string;
  subscriptions: number;
}

/**
 * graphql-ws on the same HTTP server and path as queries. Authenticates from connectionParams
 * (`authorization: "Bearer <token>"`, same token as HTTP); unauthenticated sockets may use
 * public topics only (resolvers enforce it). Limits connections per user, subscriptions per
 * connection and message size; closes a user's sockets when their session is revoked, on any
 * replica (revocations travel on the bus).
 */
export function attachWebSocketServer(http: Server, schema: GraphQLSchema, services: Services): { close(): Promise<void> } {
  const { config, metrics, logger } = services;
  const production = config.NODE_ENV === 'production';
  const wss = new WebSocketServer({ server: http, path: '/graphql', maxPayload: config.WS_MAX_PAYLOAD });
  const sockets = new Map<WebSocket, SocketState>();
  const perUser = new Map<number, number>();
  const rules = [...specifiedRules, depthLimit(config.GRAPHQL_MAX_DEPTH)];

  wss.on('connection', (socket, request) => {
    sockets.set(socket, { subscriptions: 0, address: clientAddress(request, config.TRUSTED_PROXIES) });
    metrics.wsConnections.inc();
    socket.once('close', () => {
      const st = sockets.get(socket);
      if (st?.user) perUser.set(st.user.id, Math.max(0, (perUser.get(st.user.id) ?? 1) - 1));
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
        const st = sockets.get(ctx.extra.socket);
        if (!st) return false;
        const raw = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        if (raw !== undefined) {
          const token = typeof raw === 'string' ? (bearer(raw) ?? raw) : undefined;
          const user = token ? await services.accounts.authenticate(token) : undefined;
          if (!user) {
            ctx.extra.socket.close(CLOSE.FORBIDDEN, 'Invalid or expired token');
            return false;
          }
          const count = perUser.get(user.id) ?? 0;
          if (count >= config.WS_MAX_CONNECTIONS_PER_USER) {
            ctx.extra.socket.close(CLOSE.TOO_MANY_CONNECTIONS, 'Too many connections for this user');
            return false;
          }
          perUser.set(user.id, count + 1);
          st.user = user;
        }
        ctx.extra.state = st;
        return true;
      },
      onSubscribe: (ctx, _id, payload) => {
        const st = ctx.extra.state;
        if (!st) return [new GraphQLError('Not connected.', { extensions: { code: 'UNAUTHENTICATED' } })];
        if (st.subscriptions >= config.WS_MAX_SUBSCRIPTIONS) {
          return [
            new GraphQLError(`At most ${config.WS_MAX_SUBSCRIPTIONS} subscriptions per connection.`, {
              extensions: { code: 'TOO_MANY_REQUESTS', reason: 'TOO_MANY_SUBSCRIPTIONS' },
            }),
          ];
        }
        let document;
        try {
          document = parse(payload.query);
        } catch (e) {
          return [new GraphQLError((e as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
        }
        const errors = validate(schema, document, rules);
        if (errors.length > 0) return errors.map((e) => toGraphQLError(e, production));
        const complexity = complexityOf(schema, document, payload.operationName ?? undefined, payload.variables ?? {}, config.MAX_PAGE_SIZE);
        if (complexity > config.GRAPHQL_MAX_COMPLEXITY) {
          return [new GraphQLError(`Query complexity ${complexity} is above the limit.`, { extensions: { code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COMPLEX' } })];
        }
        st.subscriptions++;
        const contextValue: GqlContext = {
          services,
          user: st.user,
          reqId: randomUUID(),
          address: st.address,
        };
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
        };
        rememberRequest(args, payload.query);
        return args;
      },
      onComplete: (ctx) => {
        const st = ctx.extra.state;
        if (st) st.subscriptions = Math.max(0, st.subscriptions - 1);
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if ('errors' in result && result.errors?.length) {
          return { ...result, errors: result.errors.map((e) => toGraphQLError(e, production)) };
        }
        return undefined;
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => toGraphQLError(e, production)),
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
            socket.close(CLOSE.SESSION_REVOKED, 'Session revoked');
          }
        }
      }
    } catch (err) {
      logger.error({ component: 'realtime', err }, 'revocation listener stopped');
    }
  })();

  return {
    close: async () => {
      await revoked.return(undefined);
      // What was committed reaches its subscribers before their sockets close: every batch
      // published, every subscription's queue taken, every socket's buffer written (bounded).
      await services.publisher.idle();
      const deadline = Date.now() + (config.SHUTDOWN_GRACE_SECONDS * 1000) / 4;
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
