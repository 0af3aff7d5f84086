import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import express, { type Request, type Response } from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { Services } from './services.js';
import { repoRoot } from './services.js';
import type { GqlContext } from './graphql/context.js';
import { ComplexityGauge, depthLimit } from './graphql/limits.js';
import { graphqlHttpHandler } from './graphql/http.js';
import { clientAddress, proxyTrust } from './graphql/client-address.js';
import { toGraphQLError } from './errors.js';

/** The HTTP side of the API: /graphql, /healthz, /readyz, /metrics and the built web client. */
export interface AppServer {
  readonly http: Server;
  readonly schema: GraphQLSchema;
  /** Starts listening; resolves with the bound port. */
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting connections and drains in-flight requests. */
  close(): Promise<void>;
}

/** Reads the bearer token from an Authorization header value. */
export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
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
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', database: db, books: services.ready });
  });
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  const apollo = new ApolloServer<GqlContext>({
    schema,
    introspection: true,
    includeStacktraceInErrorResponses: !production,
    // main.ts owns SIGTERM: drain orders, then sockets, then HTTP. Apollo's own handler would
    // close the listener at once and re-raise the signal.
    stopOnTerminationSignals: false,
    validationRules: [depthLimit(config.GRAPHQL_MAX_DEPTH)],
    formatError: (formatted, error) => {
      const e = toGraphQLError(error, production);
      return { ...formatted, message: e.message, extensions: { ...(production ? {} : formatted.extensions), ...e.extensions } };
    },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: http }),
      ApolloServerPluginLandingPageDisabled(),
      limitsPlugin(schema, config.GRAPHQL_MAX_COMPLEXITY, config.MAX_PAGE_SIZE),
      observabilityPlugin(services),
    ],
  });
  await apollo.start();

  handlers.graphql = graphqlHttpHandler(apollo, {
    maxBodyBytes: 64 * 1024,
    context: async (req) => contextFor(services, bearer(req.headers.authorization), clientAddress(req, config.TRUSTED_PROXIES), requestId(req)),
    onError: (err) => logger.error({ component: 'http', err }, 'graphql request failed'),
  });

  const webDist = config.WEB_DIST ?? resolve(repoRoot, 'web/dist');
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

  return {
    http,
    schema,
    listen: (port, host) =>
      new Promise((resolveListen, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => {
          const addr = http.address();
          resolveListen(typeof addr === 'object' && addr ? addr.port : port);
        });
      }),
    close: async () => {
      await apollo.stop();
      if (http.listening) await new Promise<void>((r) => http.close(() => r()));
    },
  };
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

/** Refuses operations above the complexity budget (aliases and page sizes included). */
function limitsPlugin(schema: GraphQLSchema, max: number, maxPageSize: number): ApolloServerPlugin<GqlContext> {
  const gauge = new ComplexityGauge(schema, maxPageSize);
  const hooks = {
    async didResolveOperation({ request, document, operation }: { request: { operationName?: string; variables?: Record<string, unknown> }; document: DocumentNode; operation?: OperationDefinitionNode | null }) {
      if (operation?.operation === 'subscription') {
        throw new GraphQLError('Subscriptions are served over WebSocket (graphql-ws, subprotocol graphql-transport-ws) on this path, not over HTTP.', {
          extensions: { code: 'BAD_REQUEST', reason: 'SUBSCRIPTION_OVER_HTTP', http: { status: 400 } },
        });
      }
      const complexity = gauge.of(document, request.operationName ?? undefined, request.variables ?? {});
      if (complexity > max) {
        throw new GraphQLError(`Query complexity ${complexity} is above the limit of ${max}.`, {
          extensions: { code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COMPLEX', http: { status: 400 } },
        });
      }
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
  return {
    async serverWillStart() {
      return {
        async schemaDidLoadOrUpdate({ apiSchema }) {
          for (const t of typeNames) {
            const type = apiSchema.getType(t);
            if (type && 'getFields' in type) for (const f of Object.keys(type.getFields())) known.add(f);
          }
        },
      };
    },
    async requestDidStart({ contextValue }) {
      const started = performance.now();
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
        async willSendResponse({ response, errors }) {
          const seconds = (performance.now() - started) / 1000;
          const failed = Boolean(errors?.length) || (response.body.kind === 'single' && Boolean(response.body.singleResult.errors?.length));
          metrics.graphqlOperations.inc({ operation, type, outcome: failed ? 'error' : 'ok' });
          metrics.graphqlDuration.observe({ operation, type }, seconds);
          const codes = errors?.map((e) => e.extensions?.code).filter(Boolean);
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
