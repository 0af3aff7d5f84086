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
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Serve the GraphQL IDE at GET /graphql (defaults to on outside production). */
  GRAPHQL_IDE: bool.optional(),
  /**
   * Maximum query depth and complexity accepted. 15 is the depth of graphql-js's standard
   * introspection query (what GraphQL IDEs send); no data query of this schema goes deeper.
   */
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().positive().default(15),
  GRAPHQL_MAX_COMPLEXITY: z.coerce.number().int().positive().default(2000),
  /** Largest page any list query returns. */
  MAX_PAGE_SIZE: z.coerce.number().int().positive().default(200),
  /** Largest order quantity accepted, in lots. */
  MAX_ORDER_QTY: z.coerce.number().int().positive().default(1_000_000_000),
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
  /** Messages a subscription may fall behind before it is ended with TOO_MANY_REQUESTS / SLOW_CONSUMER. */
  WS_MAX_PENDING_MESSAGES: z.coerce.number().int().positive().default(10_000),
  /** Seconds to drain in-flight work on SIGTERM before exiting. */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().positive().default(20),
});

/** Validated settings. */
export type Config = z.infer<typeof schema> & { readonly graphqlIde: boolean };

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
  return { ...c, graphqlIde: c.GRAPHQL_IDE ?? c.NODE_ENV !== 'production' };
}
