import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import express, { type Request, type Response } from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, parse, type DocumentNode, type GraphQLFieldMap, type GraphQLSchema } from 'graphql';
import { getArgumentValues } from 'graphql/execution/values.js';
import { getMetadataStorage } from 'type-graphql';
import { Role } from './modules/accounts/role.js';
import type { Services } from './services.js';
import { defaultWebDist } from './paths.js';
import type { GqlContext } from './graphql/context.js';
import { OperationLimits, depthLimit, operationBudget, type BudgetRefusal, type OperationBudget } from './graphql/limits.js';
import { graphqlHttpHandler, type ScreenRefusal } from './graphql/http.js';
import { clientAddress, proxyTrust } from './graphql/client-address.js';
import { DomainError, logInternalError, toGraphQLError } from './errors.js';
import { admitOrderPath } from './modules/orders/admission.js';
import { bearer } from './graphql/auth.js';

/** The HTTP side of the API: /graphql, /healthz, /readyz, /metrics and the built web client. */
export interface AppServer {
  readonly http: Server;
  readonly schema: GraphQLSchema;
  /** The bound port of the separate /metrics listener; null when /metrics is on the app's port. */
  readonly metricsPort: number | null;
  /** Starts listening; resolves with the bound port. */
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting connections and drains in-flight requests. */
  close(): Promise<void>;
}


/** Builds the context of one request from its token. */
export async function contextFor(services: Services, token: string | undefined, address: string, reqId: string): Promise<GqlContext> {
  const user = token ? await services.accounts.authenticate(token) : undefined;
  return { services, user, address, reqId };
}

export async function createAppServer(services: Services, schema: GraphQLSchema): Promise<AppServer> {
  const { config, metrics, logger } = services;
  const production = config.NODE_ENV === 'production';
  const app = express();
  app.disable('x-powered-by');
  // Behind nginx / an ingress, the client's address comes from X-Forwarded-For set by TRUSTED_PROXIES.
  app.set('trust proxy', proxyTrust(config.TRUSTED_PROXIES));
  // Set once Apollo has started (Apollo's drain plugin needs the server first).
  const handlers: { graphql?: (req: IncomingMessage, res: ServerResponse) => void } = {};
  const http = createHttpServer((req, res) => {
    const path = routeOf(req.url);
    res.once('finish', () => metrics.httpRequests.inc({ route: path, method: methodLabel(req.method), status: String(res.statusCode) }));
    setSecurityHeaders(req, res);
    if (path === '/metrics' && config.metricsListener) {
      res.statusCode = 404;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end('{"error":"not found"}');
      return;
    }
    // /graphql skips Express: it is every order's path (see graphql/http.ts).
    if (path === '/graphql' && handlers.graphql) handlers.graphql(req, res);
    else app(req, res);
  });
  // Longer than proxies' upstream keep-alive (nginx, ingress-nginx: 60 s), so Node never closes
  // a connection a proxy is about to reuse (a 502 on a mutation).
  http.keepAliveTimeout = 65_000;
  http.headersTimeout = 66_000;

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    let db = false;
    try {
      // A hung database must read as not ready, not as no answer.
      await Promise.race([
        services.knex.raw('select 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('database check timed out')), 1000).unref()),
      ]);
      db = true;
    } catch {
      db = false;
    }
    const ready = db && services.ready;
    const reason = ready ? undefined : !db ? 'DATABASE_UNAVAILABLE' : 'NOT_SERVING';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', ...(reason ? { reason } : {}), database: db, books: services.ready });
  });
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  const metricsServer = config.metricsListener ? createMetricsServer(services) : undefined;

  const apollo = new ApolloServer<GqlContext>({
    schema,
    // Production hides the schema: no introspection, no "Did you mean …?" field suggestions.
    introspection: !production,
    hideSchemaDetailsFromClientErrors: production,
    includeStacktraceInErrorResponses: !production,
    // main.ts owns SIGTERM: drain orders, then sockets, then HTTP. Apollo's own handler would
    // close the listener at once and re-raise the signal.
    stopOnTerminationSignals: false,
    validationRules: [depthLimit(config.GRAPHQL_MAX_DEPTH)],
    formatError: (formatted, error) => {
      const e = toGraphQLError(error, production);
      if (e.extensions.code === 'INTERNAL_SERVER_ERROR') logInternalError(logger, 'graphql', error);
      // Refusals of the order path and admission are counted where they are made; a database error met elsewhere here.
      else if (e.extensions.reason === 'DATABASE_UNAVAILABLE' && !(((error as GraphQLError).originalError ?? error) instanceof DomainError)) metrics.serviceUnavailable.inc({ reason: 'DATABASE_UNAVAILABLE' });
      return { ...formatted, message: e.message, extensions: { ...(production ? {} : formatted.extensions), ...e.extensions } };
    },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: http }),
      ApolloServerPluginLandingPageDisabled(),
      limitsPlugin(schema, operationBudget(config)),
      observabilityPlugin(services),
    ],
  });
  await apollo.start();

  handlers.graphql = graphqlHttpHandler(apollo, {
    maxBodyBytes: 64 * 1024,
    context: async (req) => contextFor(services, bearer(req.headers.authorization), clientAddress(req, config.TRUSTED_PROXIES), requestId(req)),
    onError: (err) => logger.error({ component: 'http', err }, 'graphql request failed'),
    screen: documentScreen(new OperationLimits(schema, operationBudget(config))),
    admit: admitOrderPath(services.admission),
  });

  const webDist = config.WEB_DIST ?? defaultWebDist;
  if (config.WEB_DIST !== '' && existsSync(resolve(webDist, 'index.html'))) {
    // The bundled GraphiQL IDE (offline) is for development unless GRAPHQL_IDE says otherwise.
    if (!config.graphqlIde) app.get('/graphiql.html', (_req, res) => void res.status(404).json({ error: 'not found' }));
    app.use(express.static(webDist, { index: false, maxAge: '1h' }));
    // The client routes in the browser: every other GET serves the app shell.
    app.get(/^\/(?!graphql|metrics|healthz|readyz).*/, (_req: Request, res: Response) => {
      res.set('Cache-Control', 'no-cache');
      res.sendFile(resolve(webDist, 'index.html'));
    });
  }
  app.use((req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  // Malformed JSON and oversized bodies: a clear JSON error rather than an HTML page.
  app.use((err: { status?: number; type?: string; message?: string }, req: Request, res: Response, _next: unknown) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 400 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
    if (status === 500) logger.error({ component: 'http', err }, 'unhandled error');
    res.status(status).json({ errors: [{ message: status === 500 ? 'Internal server error.' : (err.message ?? 'Bad request.'), extensions: { code } }] });
  });

  let metricsPort: number | null = null;
  return {
    http,
    schema,
    get metricsPort() {
      return metricsPort;
    },
    listen: async (port, host) => {
      const bound = await listenOn(http, port, host);
      if (metricsServer && config.metricsListener) metricsPort = await listenOn(metricsServer, config.metricsListener.port, config.metricsListener.host);
      return bound;
    },
    close: async () => {
      await apollo.stop();
      if (http.listening) await new Promise<void>((r) => http.close(() => r()));
      if (metricsServer?.listening) await new Promise<void>((r) => metricsServer.close(() => r()));
    },
  };
}

function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolveListen(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

/** The listener of METRICS_PORT: GET /metrics and nothing else. */
function createMetricsServer(services: Services): Server {
  const { metrics, logger } = services;
  return createHttpServer((req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (routeOf(req.url) !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.statusCode = 404;
      res.end();
      return;
    }
    metrics.registry.metrics().then(
      (text) => {
        res.setHeader('Content-Type', metrics.registry.contentType);
        res.end(text);
      },
      (err: unknown) => {
        logInternalError(logger, 'http', err);
        res.statusCode = 500;
        res.end();
      },
    );
  });
}

/**
 * Headers on every answer of the app's port. The policy allows this origin only (scripts,
 * styles, fetches and the graphql-ws socket on the same host), no framing, no sniffing; inline
 * style attributes stay allowed because Vue and the chart library set them. The same policy as
 * the web image's nginx (infra/nginx/snippets/security-headers.conf).
 */
export function setSecurityHeaders(req: IncomingMessage, res: ServerResponse): void {
  const host = /^[\w.:[\]-]{1,255}$/.test(req.headers.host ?? '') ? req.headers.host : undefined;
  const sockets = host ? ` ws://${host} wss://${host}` : '';
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'${sockets}; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'`,
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'strict-origin-when-cross-origin');
}


/** The metric label of a request: its path when it is one of ours, else a fixed bucket (bounded cardinality). */
function routeOf(url: string | undefined): string {
  const q = url?.indexOf('?') ?? -1;
  const path = q >= 0 ? url!.slice(0, q) : (url ?? '/');
  if (path === '/graphql' || path === '/healthz' || path === '/readyz' || path === '/metrics') return path;
  return path.startsWith('/assets/') ? '/assets' : 'other';
}

const METHODS = new Set(['GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH']);
const methodLabel = (m: string | undefined) => (m && METHODS.has(m) ? m : 'OTHER');

function requestId(req: IncomingMessage): string {
  const h = req.headers['x-request-id'];
  return typeof h === 'string' && /^[\w.-]{1,64}$/.test(h) ? h : randomUUID();
}

/**
 * Documents longer than this are screened by shape before Apollo validates them (graphql-js's
 * validation is quadratic in a selection set's fields; shorter documents cannot hold enough
 * fields to make it slow, and are checked after validation by {@link limitsPlugin}).
 */
const SCREEN_MIN_CHARS = 1024;

/** The HTTP screen: long documents over the field, root-field or mutation caps are refused before validation. */
function documentScreen(limits: OperationLimits): (operation: { readonly query?: unknown; readonly operationName?: unknown }) => ScreenRefusal | undefined {
  return ({ query, operationName }) => {
    if (typeof query !== 'string' || query.length < SCREEN_MIN_CHARS) return undefined;
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch {
      return undefined; // Apollo answers syntax errors itself.
    }
    const refusal = limits.checkDocument(document, typeof operationName === 'string' ? operationName : undefined);
    return refusal;
  };
}

/** Refuses operations over their budget (fields, root fields, mutations, priced complexity). */
function limitsPlugin(schema: GraphQLSchema, budget: OperationBudget): ApolloServerPlugin<GqlContext> {
  const limits = new OperationLimits(schema, budget);
  const refuse = (r: BudgetRefusal) => new GraphQLError(r.message, { extensions: { code: r.code, reason: r.reason, http: { status: 400 } } });
  const hooks = {
    async didResolveOperation({ request, document, operation }: { request: { operationName?: string; variables?: Record<string, unknown> }; document: DocumentNode; operation?: { operation: string } | null }) {
      if (operation?.operation === 'subscription') {
        throw new GraphQLError('Subscriptions are served over WebSocket (graphql-ws, subprotocol graphql-transport-ws) on this path, not over HTTP.', {
          extensions: { code: 'BAD_REQUEST', reason: 'SUBSCRIPTION_OVER_HTTP', http: { status: 400 } },
        });
      }
      const refusal = limits.check(document, request.operationName ?? undefined, request.variables ?? {});
      if (refusal) throw refuse(refusal);
    },
  };
  return {
    async requestDidStart() {
      return hooks;
    },
  };
}

/** One log line and the metrics of every operation. */
function observabilityPlugin(services: Services): ApolloServerPlugin<GqlContext> {
  const { metrics, logger } = services;
  const known = new Set<string>();
  const typeNames = ['Query', 'Mutation', 'Subscription'] as const;
  // Mutations only admins (or support) may run: each one is logged with its arguments.
  const adminOnly = new Set(
    getMetadataStorage()
      .authorizedFields.filter((f) => f.roles.length > 0 && f.roles.every((r) => r === Role.ADMIN || r === Role.SUPPORT))
      .map((f) => f.fieldName),
  );
  let mutationFields: GraphQLFieldMap<unknown, unknown> | undefined;
  return {
    async serverWillStart() {
      return {
        async schemaDidLoadOrUpdate({ apiSchema }) {
          mutationFields = apiSchema.getMutationType()?.getFields();
          for (const t of typeNames) {
            const type = apiSchema.getType(t);
            if (type && 'getFields' in type) for (const f of Object.keys(type.getFields())) known.add(f);
          }
        },
      };
    },
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      const adminActions: { action: string; args: Record<string, unknown> }[] = [];
      let operation = 'unknown';
      let type = 'unknown';
      return {
        async didResolveOperation({ operation: op, operationName }) {
          type = op?.operation ?? 'unknown';
          // Label by the root field (bounded by the schema), not the client-chosen operation name.
          const first = op?.selectionSet.selections[0];
          const field = first && first.kind === 'Field' ? first.name.value : (operationName ?? 'unknown');
          operation = known.has(field) ? field : 'other';
        },
        async executionDidStart({ operation: op, request }) {
          if (op?.operation !== 'mutation' || !contextValue.user) return;
          for (const sel of op.selectionSet.selections) {
            if (sel.kind !== 'Field' || !adminOnly.has(sel.name.value)) continue;
            const field = mutationFields?.[sel.name.value];
            let args: Record<string, unknown> = {};
            try {
              if (field) args = getArgumentValues(field, sel, request.variables ?? {});
            } catch {
              // Arguments that do not coerce are refused before execution; nothing to record.
            }
            adminActions.push({ action: sel.name.value, args });
          }
        },
        async willSendResponse({ response, errors }) {
          const seconds = (performance.now() - started) / 1000;
          const failed = Boolean(errors?.length) || (response.body.kind === 'single' && Boolean(response.body.singleResult.errors?.length));
          metrics.graphqlOperations.inc({ operation, type, outcome: failed ? 'error' : 'ok' });
          metrics.graphqlDuration.observe({ operation, type }, seconds);
          const codes = errors?.map((e) => e.extensions?.code).filter(Boolean);
          for (const a of adminActions) {
            // Security log: who changed what, to which value, and whether it took.
            logger.info(
              { component: 'audit', event: 'admin_action', reqId: contextValue.reqId, actorId: contextValue.user?.id, actor: contextValue.user?.username, address: contextValue.address, action: a.action, args: a.args, outcome: failed ? 'error' : 'ok', ...(codes?.length ? { codes } : {}) },
              'admin action',
            );
          }
          logger.info(
            {
              component: 'graphql',
              reqId: contextValue.reqId,
              userId: contextValue.user?.id,
              operation,
              type,
              durationMs: Math.round(seconds * 10000) / 10,
              outcome: failed ? 'error' : 'ok',
              ...(codes?.length ? { codes } : {}),
            },
            'graphql operation',
          );
        },
      };
    },
  };
}
