/**
 * The one place that reads the environment. Everything else receives a {@link Config}.
 *
 * Parsed once with zod; an invalid environment stops the process with a message naming the
 * variable, before anything listens or connects.
 */
import proxyaddr from 'proxy-addr';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** Interface to bind: loopback by default; 0.0.0.0 in containers. */
  HOST: z.string().default('127.0.0.1'),
  /** HTTP + WebSocket port: /graphql, /metrics, /healthz, /readyz and the built web client. */
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /**
   * Port of a separate listener that serves only /metrics (on METRICS_HOST). Unset: /metrics is
   * served on PORT outside production, and on 9464 in production, where the app's port never
   * answers it (the scrape endpoint is for Prometheus, not for the public).
   */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Interface of the metrics listener (defaults to HOST). */
  METRICS_HOST: z.string().optional(),
  /** `sqlite:<path>` (embedded default) or `mysql://user:pass@host:port/db`. */
  DATABASE_URL: z.string().default('sqlite:./data/trading.sqlite'),
  /** Set to use Redis pub/sub for subscriptions across replicas; in-process when absent. */
  REDIS_URL: z.string().url().optional(),
  /** Prefix of this deployment's Redis channels (one Redis may serve several deployments). */
  REDIS_CHANNEL_PREFIX: z.string().default('trading:'),
  /** Run migrations at start (true for the embedded default; false for replicas, where a Job migrates). */
  MIGRATE_ON_START: bool.default(true),
  /** Load the product catalog at start when the products table is empty. */
  SEED_CATALOG: bool.default(true),
  /** The catalog CSV (symbol,name,type,price). Defaults to db/seeds/products.csv in the repo. */
  CATALOG_PATH: z.string().optional(),
  /** Admin account created on first start. A password is generated and printed once when unset. */
  ADMIN_USERNAME: z.string().min(3).default('admin'),
  ADMIN_PASSWORD: z.string().min(8).optional(),
  /** Session token lifetime. */
  TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(12 * 3600),
  /** Directory of the built web client to serve on the same port; empty disables. */
  WEB_DIST: z.string().optional(),
  /** Run the FIX 4.4 order-entry gateway (on HOST:FIX_PORT). */
  FIX_ENABLED: bool.default(true),
  /** FIX 4.4 acceptor port; 0 picks a free port (tests read it from the App). */
  FIX_PORT: z.coerce.number().int().min(0).max(65535).default(9878),
  /** Our CompID on FIX sessions: SenderCompID (49) of our messages, TargetCompID (56) of the clients'. */
  FIX_SENDER_COMP_ID: z.string().regex(/^[\x21-\x7e]{1,64}$/).default('TRADINGAPP'),
  /** A FIX connection that has not logged on after this many seconds is closed. */
  FIX_LOGON_TIMEOUT_SECONDS: z.coerce.number().positive().max(300).default(5),
  /**
   * Application messages kept per FIX session (in memory) to answer a ResendRequest with the
   * originals; older ones, and all after a restart, are gap-filled.
   */
  FIX_RESEND_JOURNAL_SIZE: z.coerce.number().int().positive().default(10_000),
  /** Largest FIX message accepted, in bytes; a larger one ends the connection. */
  FIX_MAX_MESSAGE_BYTES: z.coerce.number().int().min(512).max(1024 * 1024).default(16 * 1024),
  /** PEM certificate chain and private key files: when both are set, the FIX gateway speaks TLS only. */
  FIX_TLS_CERT_FILE: z.string().min(1).optional(),
  FIX_TLS_KEY_FILE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Serve the GraphQL IDE at GET /graphql (defaults to on outside production). */
  GRAPHQL_IDE: bool.optional(),
  /**
   * Maximum query depth and complexity accepted. 15 is the depth of graphql-js's standard
   * introspection query (what GraphQL IDEs send); no data query of this schema goes deeper.
   */
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().positive().default(15),
  /** In units of about one field resolution; a row costs 4 more, a root field 10, a catalog text search 5,000. */
  GRAPHQL_MAX_COMPLEXITY: z.coerce.number().int().positive().default(10_000),
  /** Field selections in one document (aliases included); checked before validation. */
  GRAPHQL_MAX_FIELDS: z.coerce.number().int().positive().default(500),
  /** Root fields (aliases included) of one query or mutation, and of one mutation request. */
  GRAPHQL_MAX_ROOT_FIELDS: z.coerce.number().int().positive().default(20),
  GRAPHQL_MAX_MUTATIONS: z.coerce.number().int().positive().default(10),
  /** Largest page any list query returns. */
  MAX_PAGE_SIZE: z.coerce.number().int().positive().default(200),
  /** Largest order quantity accepted, in lots: at most 2^31 − 1, so an order's quantities are GraphQL Ints. */
  MAX_ORDER_QTY: z.coerce.number().int().positive().max(2 ** 31 - 1).default(1_000_000_000),
  /**
   * Most orders resting in one symbol's book; a further order's unfilled rest is canceled with
   * BOOK_FULL. MAX_ORDER_QTY × MAX_RESTING_ORDERS_PER_BOOK must be at most 2^53 − 1, so every
   * level total and side total is an exact integer (docs/API.md, "Number ranges").
   */
  MAX_RESTING_ORDERS_PER_BOOK: z.coerce.number().int().positive().default(1_000_000),
  /**
   * Price band (pre-trade check): a limit price must lie within ± this percent of the reference
   * (last trade, else the catalog reference price), and no order trades outside it (the rest is
   * canceled with PRICE_BAND). At most 10000 (the low end never goes below one tick). Per
   * product, admins override it (setProductRiskLimits).
   */
  RISK_PRICE_BAND_PERCENT: z.coerce.number().min(0.01).max(10_000).default(10),
  /** Largest notional (price × quantity, in the product currency) of one order; per product, admins override it. */
  RISK_MAX_ORDER_NOTIONAL: z.string().regex(/^\d{1,15}(\.\d{1,8})?$/, 'a positive decimal such as 10000000').default('10000000'),
  /** Largest long position (lots) of one account in one product, counting open buy orders; per product and per account, admins override it. */
  RISK_MAX_LONG_POSITION: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(1_000_000),
  /** Largest short position (lots) of one account in one product, counting open sell orders (under SHORT_SALE_POLICY=ALLOWED). */
  RISK_MAX_SHORT_POSITION: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(1_000_000),
  /**
   * ALLOWED (default): an account may sell short up to its short limit (a private exchange has
   * no custody: without it nobody could make the first sale). COVERED_ONLY: sells only against
   * the filled position not already offered.
   */
  SHORT_SALE_POLICY: z.enum(['ALLOWED', 'COVERED_ONLY']).default('ALLOWED'),
  /** Orders (new and amends, GraphQL and FIX together, all replicas with Redis) per account per second; beyond it THROTTLED. */
  ORDER_RATE_PER_SECOND: z.coerce.number().int().positive().default(100),
  /** Orders per account allowed above the rate within any 10 seconds (the burst). */
  ORDER_RATE_BURST: z.coerce.number().int().min(0).default(500),
  /** The web ticket asks for confirmation of a limit price this many percent or more from the last price. */
  RISK_CONFIRM_PERCENT: z.coerce.number().min(0).max(100).default(5),
  /** The web ticket asks for confirmation of an order of at least this notional (product currency). */
  RISK_CONFIRM_NOTIONAL: z.string().regex(/^\d{1,15}(\.\d{1,8})?$/, 'a positive decimal such as 100000').default('100000'),
  /**
   * Failed logins allowed per (account, address) within LOGIN_WINDOW_SECONDS, GraphQL and FIX
   * together (shared by replicas through Redis when REDIS_URL is set). A success clears it.
   */
  LOGIN_MAX_ATTEMPTS: z.coerce.number().int().positive().default(10),
  LOGIN_WINDOW_SECONDS: z.coerce.number().int().positive().default(300),
  /**
   * Failed logins allowed per account from all addresses it has not logged in from before,
   * within LOGIN_WINDOW_SECONDS: bounds a distributed guesser without locking the owner out
   * (an address the account logged in from recently is not held to it).
   */
  LOGIN_ACCOUNT_MAX_ATTEMPTS: z.coerce.number().int().positive().default(50),
  /** Failed logins allowed per address across all accounts within LOGIN_WINDOW_SECONDS (password spraying). */
  LOGIN_ADDRESS_MAX_ATTEMPTS: z.coerce.number().int().positive().default(50),
  /** Sign-ups allowed per address within SIGNUP_WINDOW_SECONDS. */
  SIGNUP_MAX_PER_ADDRESS: z.coerce.number().int().positive().default(10),
  SIGNUP_WINDOW_SECONDS: z.coerce.number().int().positive().default(3600),
  /** Password hashes (scrypt, ~32 MiB each) computed at once; the rest wait in a bounded queue. */
  PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().positive().default(2),
  /** Logins and sign-ups that may wait for a hash each; beyond it: TOO_MANY_REQUESTS / AUTH_BUSY. */
  PASSWORD_HASH_QUEUE: z.coerce.number().int().positive().default(32),
  /**
   * Peers whose X-Forwarded-For is believed, comma-separated: addresses, CIDR ranges, or
   * `loopback`, `linklocal`, `uniquelocal`. Default `loopback` (a proxy on the same host);
   * empty trusts no one. Set it to the proxies' range behind nginx or an ingress.
   */
  TRUSTED_PROXIES: z
    .string()
    .default('loopback')
    .transform((v, ctx) => {
      const list = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
      try {
        proxyaddr.compile(list);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
      }
      return list;
    }),
  /** Subscriptions per WebSocket connection and connections per user. */
  WS_MAX_SUBSCRIPTIONS: z.coerce.number().int().positive().default(100),
  WS_MAX_CONNECTIONS_PER_USER: z.coerce.number().int().positive().default(20),
  /** Largest message accepted on the WebSocket, in bytes. */
  WS_MAX_PAYLOAD: z.coerce.number().int().positive().default(64 * 1024),
  /** Subscriptions on a socket that connected without a token (public market data only). */
  WS_MAX_ANONYMOUS_SUBSCRIPTIONS: z.coerce.number().int().positive().default(10),
  /** Open sockets per remote address (IPv6: per /64), and in the whole process. */
  WS_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().positive().default(50),
  WS_MAX_CONNECTIONS: z.coerce.number().int().positive().default(20_000),
  /** Active operations over all sockets of one remote address, and in the whole process. */
  WS_MAX_SUBSCRIPTIONS_PER_ADDRESS: z.coerce.number().int().positive().default(500),
  WS_MAX_SUBSCRIPTIONS_TOTAL: z.coerce.number().int().positive().default(100_000),
  /** Distinct query texts in use by one remote address's active operations, and in the whole process. */
  WS_MAX_DOCUMENTS_PER_ADDRESS: z.coerce.number().int().positive().default(20),
  WS_MAX_DOCUMENTS: z.coerce.number().int().positive().default(1_000),
  /** Characters of all distinct query texts in use on sockets, in the whole process (their parsed form costs a multiple). */
  WS_MAX_DOCUMENT_CHARS: z.coerce.number().int().positive().default(256 * 1024),
  /**
   * Summed complexity (as GRAPHQL_MAX_COMPLEXITY counts it) of all distinct query texts in use on
   * sockets: each is executed on its own for every public update, so this bounds that work.
   */
  WS_MAX_DOCUMENT_COMPLEXITY: z.coerce.number().int().positive().default(5_000),
  /** Messages a subscription may fall behind before it is ended with TOO_MANY_REQUESTS / SLOW_CONSUMER. */
  WS_MAX_PENDING_MESSAGES: z.coerce.number().int().positive().default(10_000),
  /** Seconds to drain in-flight work on SIGTERM before exiting. */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().positive().default(20),
  /**
   * Admission control of order-path requests (placeOrder, cancelOrder, amendOrder) over HTTP:
   * at most (answered rate × this target) of them in the system at once, beyond which they are
   * refused at once with SERVICE_UNAVAILABLE/OVERLOADED and a retry hint; 0 disables.
   */
  ORDER_ADMISSION_TARGET_MS: z.coerce.number().int().min(0).default(100),
  /** Order-path requests always admitted at once, whatever the answered rate. */
  ORDER_ADMISSION_MIN_IN_FLIGHT: z.coerce.number().int().positive().default(128),
  /** Requests waiting for the order path's next transaction (every channel) beyond which SERVICE_UNAVAILABLE/ORDER_QUEUE_FULL. */
  ORDER_QUEUE_MAX: z.coerce.number().int().positive().default(4096),
  /**
   * MySQL: the order path's batch transactions run on connections driven from a worker thread
   * (escaping, socket writes and answer parsing beside the event loop, on another core); false
   * drives them from the event loop.
   */
  ORDER_PATH_DB_WORKER: bool.default(true),
  /** Journal entries carry the book's state hash every this many seqs (replicas check their replay against it); 0 = never. */
  JOURNAL_HASH_EVERY: z.coerce.number().int().min(0).default(100),
  /**
   * Book journal entries older than this many hours are pruned (hourly, by every replica), but
   * only those that end at or before the oldest kept snapshot of their symbol (a symbol without a
   * snapshot keeps its journal); 0 = keep them all (exact audit replay from seq 0).
   */
  JOURNAL_RETENTION_HOURS: z.coerce.number().int().min(0).default(0),
  /** Seconds between two snapshot passes of a replica (each book that moved SNAPSHOT_MIN_SEQS since its newest snapshot gets one); 0 = no snapshots. */
  SNAPSHOT_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(300),
  /** Seqs a book must have moved since its newest snapshot to get a new one. */
  SNAPSHOT_MIN_SEQS: z.coerce.number().int().positive().default(1_000),
  /** Complete snapshots kept per symbol (older ones are deleted; the journal behind the oldest kept one may be pruned). */
  SNAPSHOT_KEEP: z.coerce.number().int().positive().default(2),
  /**
   * Trading sessions. `enforce`: each product trades only inside its hours (listing-suffix
   * default or admin-set; orders and amends outside them get CONFLICT / MARKET_CLOSED) and its
   * resting DAY orders expire at the close. `always-open` (default: `npm start`, tests, benches):
   * no hours, nothing refused, DAY orders rest until canceled. Production sets `enforce`
   * (infra/k8s/base/api-configmap.yaml, infra/compose.yaml). See docs/RUNBOOK.md, "Trading sessions".
   */
  TRADING_HOURS: z.enum(['enforce', 'always-open']).default('always-open'),
  /** Seconds between the expiry scheduler's checks for closes that passed (DAY orders expire within this after the close). */
  SESSION_CHECK_SECONDS: z.coerce.number().positive().max(3600).default(5),
  /** Bus messages held for Redis while it is away (sent once it is back); beyond that they are dropped and counted. */
  BUS_MAX_OUTBOUND: z.coerce.number().int().positive().default(10_000),
});

/** Validated settings. */
export type Config = z.infer<typeof schema> & {
  readonly graphqlIde: boolean;
  /** Where /metrics is served: a listener of its own, or null for the app's port (never in production). */
  readonly metricsListener: { readonly port: number; readonly host: string } | null;
};

/** Raised for an invalid environment; the message names every offending variable. */
export class ConfigError extends Error {}

/**
 * Parses settings from an environment-like record (default `process.env`).
 * Tests call it with an explicit record so nothing leaks from the shell.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  if ((c.FIX_TLS_CERT_FILE === undefined) !== (c.FIX_TLS_KEY_FILE === undefined)) {
    throw new ConfigError('Invalid environment:\n  FIX_TLS_CERT_FILE, FIX_TLS_KEY_FILE: set both or neither');
  }
  if (BigInt(c.MAX_ORDER_QTY) * BigInt(c.MAX_RESTING_ORDERS_PER_BOOK) > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ConfigError(
      `Invalid environment:\n  MAX_RESTING_ORDERS_PER_BOOK: MAX_ORDER_QTY × MAX_RESTING_ORDERS_PER_BOOK must be at most 2^53 − 1 (${Number.MAX_SAFE_INTEGER})`,
    );
  }
  const production = c.NODE_ENV === 'production';
  const metricsPort = c.METRICS_PORT ?? (production ? 9464 : undefined);
  return {
    ...c,
    graphqlIde: c.GRAPHQL_IDE ?? !production,
    metricsListener: metricsPort === undefined ? null : { port: metricsPort, host: c.METRICS_HOST ?? c.HOST },
  };
}
