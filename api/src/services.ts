import type { MikroORM } from '@mikro-orm/core';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { openOrm } from './db/orm.js';
import { migrate } from './db/migrations.js';
import { defaultCatalogPath } from './paths.js';
import type { Dialect } from './db/dialect.js';
import { knexOf, orderPathKnex, type Knex } from './db/knex.js';
import { IdAllocator } from './db/id-allocator.js';
import { MatchingEngine } from './engine/index.js';
import { Redis } from 'ioredis';
import { AccountService } from './modules/accounts/account.service.js';
import { LoginLimits } from './modules/accounts/login-limits.js';
import { generatePassword } from './modules/accounts/password.js';
import { ProductService } from './modules/products/product.service.js';
import { seedCatalog } from './modules/products/catalog.js';
import { OrderPath } from './modules/orders/order-path.js';
import { Admission } from './modules/orders/admission.js';
import { replicate } from './modules/orders/replication.js';
import { loadBooks, pruneJournal, snapshotRestore, startSnapshots, type SnapshotRejection, type Snapshotter } from './modules/orders/snapshots.js';
import { OrderService } from './modules/orders/order.service.js';
import { consistentRead } from './modules/orders/book-recovery.js';
import { RiskService } from './modules/risk/risk.service.js';
import { OrderRate } from './modules/risk/order-rate.js';
import { KillSwitch } from './modules/orders/kill-switch.js';
import { MarketDataService } from './modules/market-data/market-data.service.js';
import { createBus, type Bus } from './modules/realtime/bus.js';
import { createPublisher, type Publisher } from './modules/realtime/publisher.js';
import { executionReports } from './modules/orders/execution-reports.js';
import { createReportFeed, type ReportFeed } from './modules/realtime/report-feed.js';
import { TradingSessions, systemClock, type Clock } from './modules/products/trading-sessions.js';
import { ExpiryScheduler } from './modules/orders/expiry.js';

/** Everything a request handler, the FIX gateway or a test needs. Built once per process. */
export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly orm: MikroORM;
  readonly knex: Knex;
  readonly dialect: Dialect;
  readonly engine: MatchingEngine;
  readonly path: OrderPath;
  /** Admission control of order-path requests at the edge (HTTP, WebSocket). */
  readonly admission: Admission;
  readonly accounts: AccountService;
  readonly products: ProductService;
  readonly orders: OrderService;
  /** Pre-trade checks and risk limits. */
  readonly risk: RiskService;
  /** Cancel-all: GraphQL cancelAllOrders, FIX mass cancel and cancel-on-disconnect, disabled accounts. */
  readonly killSwitch: KillSwitch;
  readonly marketData: MarketDataService;
  /** Trading hours and session state (config TRADING_HOURS), on the services' clock. */
  readonly sessions: TradingSessions;
  /** Expires DAY orders at each close (when hours are enforced). */
  readonly expiry: ExpiryScheduler;
  /** Events after commit: execution reports, books, trades, quotes, order changes, revocations. */
  readonly bus: Bus;
  /** Publishes each committed batch on the bus; shutdown waits for it. */
  readonly publisher: Publisher;
  /** Periodic book snapshots (undefined when SNAPSHOT_INTERVAL_SECONDS is 0). */
  readonly snapshots: Snapshotter | undefined;
  /** True once books are loaded: /readyz. */
  ready: boolean;
  /** Generated admin password, present only on the first start that created the admin. */
  readonly generatedAdminPassword?: string;
  /** Not ready, no new orders; resolves once every queued order has committed or failed. Idempotent. */
  drain(): Promise<void>;
  /** Drains, then closes the bus, the journal feeds and the databases. */
  close(): Promise<void>;
}

/** Runs `f` for every value of a bus subscription until the bus closes. */
async function forEach<T>(source: AsyncIterable<T>, f: (v: T) => void): Promise<void> {
  try {
    for await (const v of source) f(v);
  } catch {
    // The bus closed (shutdown).
  }
}

/**
 * Prunes book journal entries older than `hours` that the kept snapshots no longer need, once an
 * hour (every replica does it; deleting what another already deleted is a no-op), in slices so
 * no transaction grows large.
 */
function prunePeriodically(knex: Knex, hours: number, logger: Logger): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = (async () => {
      const before = new Date(Date.now() - hours * 3_600_000);
      let total = 0;
      for (;;) {
        const n = await pruneJournal(knex, before);
        total += n;
        if (n === 0) break;
      }
      if (total > 0) logger.info({ component: 'order-path', entries: total, before: before.toISOString() }, 'book journal pruned');
    })().catch((err: unknown) => logger.warn({ component: 'order-path', err }, 'pruning the book journal failed; retrying in an hour'));
  };
  const timer = setInterval(run, 3_600_000);
  timer.unref();
  run();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * The Redis connection of the login and sign-up budgets. Commands fail at once while it is
 * down (no offline queue), and the budgets fall back to in-process counters meanwhile.
 */
async function connectLimitsRedis(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  let down = false;
  redis.on('error', (err) => {
    if (!down) logger.warn({ component: 'accounts', err }, 'Redis of the login budgets unavailable; counting in-process until it is back');
    down = true;
  });
  redis.on('ready', () => (down = false));
  await redis.connect();
  return redis;
}

/**
 * Opens the database (migrating and seeding when configured), builds the services and loads
 * every book. `progress` receives human-readable start-up steps (printed by main).
 */
/** What a caller may put in place of the real thing (tests). */
export interface ServiceDeps {
  /** The wall clock of trading sessions, the expiry scheduler and the order path's batch times (default: the system's). */
  readonly clock?: Clock;
}

export async function createServices(config: Config, logger: Logger, progress: (line: string) => void = () => {}, deps: ServiceDeps = {}): Promise<Services> {
  const { orm, dialect } = await openOrm(config.DATABASE_URL);
  const knex = knexOf(orm);
  if (config.MIGRATE_ON_START) {
    const applied = await migrate(orm);
    if (applied.length > 0) progress(`Applied migrations: ${applied.join(', ')}`);
  }
  if (config.SEED_CATALOG) {
    const path = config.CATALOG_PATH ?? defaultCatalogPath;
    let lastPct = -1;
    const loaded = await seedCatalog(knex, dialect, path, (done, total) => {
      const pct = Math.floor((done / total) * 10) * 10;
      if (pct !== lastPct) progress(`Loading product catalog: ${done}/${total}`);
      lastPct = pct;
    });
    if (loaded > 0) progress(`Loaded ${loaded} products.`);
  }
  const metrics = createMetrics();
  const engine = new MatchingEngine({ maxOrderQty: config.MAX_ORDER_QTY, maxRestingOrders: config.MAX_RESTING_ORDERS_PER_BOOK });
  const onSnapshotRejected = (symbol: string, seq: number, reason: SnapshotRejection, detail: string) => {
    metrics.bookSnapshotsRejected.inc({ reason });
    logger.error({ component: 'order-path', symbol, seq, reason, detail }, 'book snapshot rejected; book loaded from the order rows instead');
  };
  const pathDb = orderPathKnex(orm, dialect, { worker: config.ORDER_PATH_DB_WORKER });
  /** Execution reports across replicas (set once the bus is up; see report-feed.ts). */
  let reports: ReportFeed | undefined;
  const sessions = new TradingSessions(config.TRADING_HOURS, deps.clock ?? systemClock);
  const path = new OrderPath({
    now: () => sessions.clock.now(),
    session: sessions.enforced ? (p, nowMs) => (p.hours ? sessions.state(p.hours, nowMs) : undefined) : undefined,
    knex: pathDb.knex,
    multiStatements: pathDb.multiStatements,
    connections: pathDb.connections,
    dialect,
    engine,
    ids: new IdAllocator(knex, 'orders'),
    onStats: (s) => {
      metrics.dbCommitGroupSize.observe(s.size);
      metrics.dbCommitDuration.observe(s.commitMs / 1000);
      metrics.orderPathGroups.inc({ mode: s.speculative ? 'speculative' : 'locked' });
    },
    onSpeculationFailed: (reason) => metrics.orderPathSpeculationFailures.inc({ reason }),
    onFailure: (error, symbols) => logger.error({ component: 'order-path', err: error, symbols }, 'order batch failed; books rebuilt from the database'),
    hashEvery: config.JOURNAL_HASH_EVERY,
    maxQueued: config.ORDER_QUEUE_MAX,
    onRefused: (reason) => metrics.serviceUnavailable.inc({ reason }),
    sync: {
      restore: snapshotRestore({ onRejected: onSnapshotRejected }),
      onApplied: (_symbol, entries) => metrics.journalEntriesApplied.inc(entries),
      onReplayed: (entry, events) => reports?.replayed(entry, events),
      onReload: (symbol, reason) => {
        metrics.bookReloads.inc({ reason });
        reports?.reloaded(symbol);
        if (reason !== 'failure') logger.info({ component: 'order-path', symbol, reason }, 'book reloaded from the database');
      },
      onDivergence: (symbol, entry) => {
        metrics.bookDivergences.inc();
        logger.error({ component: 'order-path', symbol, fromSeq: entry.fromSeq, toSeq: entry.toSeq, stateHash: entry.stateHash }, 'book diverged from the journal replay; reloading it from the database');
      },
    },
  });
  const limitsRedis = config.REDIS_URL ? await connectLimitsRedis(config.REDIS_URL, logger) : undefined;
  const accounts = new AccountService(orm, {
    tokenTtlSeconds: config.TOKEN_TTL_SECONDS,
    limits: new LoginLimits({
      pairPoints: config.LOGIN_MAX_ATTEMPTS,
      accountPoints: config.LOGIN_ACCOUNT_MAX_ATTEMPTS,
      addressPoints: config.LOGIN_ADDRESS_MAX_ATTEMPTS,
      windowSeconds: config.LOGIN_WINDOW_SECONDS,
      signUpPoints: config.SIGNUP_MAX_PER_ADDRESS,
      signUpWindowSeconds: config.SIGNUP_WINDOW_SECONDS,
      redis: limitsRedis,
      keyPrefix: config.REDIS_CHANNEL_PREFIX,
    }),
    hashConcurrency: config.PASSWORD_HASH_CONCURRENCY,
    hashQueue: config.PASSWORD_HASH_QUEUE,
    onLoginFailed: (f) => logger.warn({ component: 'accounts', event: 'login_failed', username: f.username.slice(0, 64), address: f.address, channel: f.channel, reason: f.reason }, 'login failed'),
  });
  const generatedAdminPassword = await accounts.ensureAdmin(config.ADMIN_USERNAME, config.ADMIN_PASSWORD, generatePassword);
  const products = new ProductService(knex, dialect);
  const risk = new RiskService(knex, engine, new OrderRate({ perSecond: config.ORDER_RATE_PER_SECOND, burst: config.ORDER_RATE_BURST, redis: limitsRedis, keyPrefix: config.REDIS_CHANNEL_PREFIX }), {
    bandBps: Math.round(config.RISK_PRICE_BAND_PERCENT * 100),
    maxOrderQty: config.MAX_ORDER_QTY,
    maxOrderNotional: config.RISK_MAX_ORDER_NOTIONAL,
    maxLong: config.RISK_MAX_LONG_POSITION,
    maxShort: config.RISK_MAX_SHORT_POSITION,
    shortSale: config.SHORT_SALE_POLICY,
    confirmBps: Math.round(config.RISK_CONFIRM_PERCENT * 100),
    confirmNotional: config.RISK_CONFIRM_NOTIONAL,
  });
  const orders = new OrderService(knex, path, products, {
    maxOrderQty: config.MAX_ORDER_QTY,
    risk,
    sessions,
    observer: {
      received: (o) => metrics.ordersReceived.inc({ side: o.side, ord_type: o.ordType, tif: o.tif, channel: o.channel }),
      rejected: (reason) => metrics.orderRejects.inc({ reason }),
      pathLatency: (s) => metrics.orderPathDuration.observe(s),
    },
  });
  path.onCommit((batch) => {
    for (const events of batch.events.values()) {
      for (const e of events) {
        if (e.type !== 'trade') continue;
        metrics.trades.inc();
        metrics.tradedQuantity.inc(e.qty);
      }
    }
    metrics.restingOrders.set(engine.symbols().reduce((n, s) => n + engine.book(s).restingCount, 0));
    // One log line per order-path event, after the commit (Loki: component="order-path").
    if (logger.isLevelEnabled('info')) {
      for (const [symbol, events] of batch.events) {
        for (const r of executionReports(symbol, events, batch.orders)) {
          logger.info(
            { component: 'order-path', userId: r.order.accountId, symbol, orderId: r.order.id, execType: r.execType, status: r.order.status, lastQty: r.lastQty ?? undefined, reason: r.reason ?? undefined },
            'order event',
          );
        }
      }
    }
    metrics.booksLoaded.set(engine.symbols().length);
  });
  const marketData = new MarketDataService(engine, path);
  const bus = await createBus(config.REDIS_URL, config.REDIS_CHANNEL_PREFIX, config.WS_MAX_PENDING_MESSAGES, {
    maxOutbound: config.BUS_MAX_OUTBOUND,
    onDrop: () => metrics.busDropped.inc(),
    localTopics: ['exec', 'orders'],
    onStateChange: (connected, err) => {
      metrics.busConnected.set(connected ? 1 : 0);
      if (connected) logger.info({ component: 'bus' }, 'event bus reconnected to Redis');
      else logger.error({ component: 'bus', err }, 'event bus lost Redis; publishes are held (bounded) until it returns');
    },
  });
  metrics.busConnected.set(bus.connected() ? 1 : 0);
  const marketPublisher = createPublisher({ pubsub: bus.pubsub, engine, products, logger, reports: !bus.distributed });
  path.onCommit(marketPublisher.onCommit);
  const publisher: Publisher = {
    onCommit: marketPublisher.onCommit,
    idle: async () => {
      await marketPublisher.idle();
      await reports?.idle();
    },
  };
  if (bus.distributed) {
    reports = createReportFeed({
      pubsub: bus.pubsub,
      knex,
      tickSize: async (symbol) => (await products.cached(symbol))?.tickSize,
      connected: () => bus.connected(),
      sync: (symbol) => path.syncBook(symbol),
      logger,
      onGap: (symbol, fromSeq, toSeq) => metrics.reportGaps.inc(toSeq - fromSeq),
      onReplayedSpan: () => metrics.reportsReplayed.inc(),
    });
    path.onCommit(reports.committed);
  }
  const replication = reports ? replicate(path, bus.pubsub, logger, reports) : undefined;
  const pruning = config.JOURNAL_RETENTION_HOURS > 0 ? prunePeriodically(knex, config.JOURNAL_RETENTION_HOURS, logger) : undefined;
  accounts.onRevoked((userId, sessionId, reason) => bus.pubsub.publish('revoked', { userId, sessionId, reason }));
  accounts.onChanged((userId) => bus.pubsub.publish('userChanged', { userId }));
  // Other replicas' account changes: forget cached sessions of that user.
  const accountFeeds = [bus.pubsub.subscribe('revoked'), bus.pubsub.subscribe('userChanged')];
  for (const feed of accountFeeds) void forEach(feed, (m) => accounts.forget(m.userId));
  const loadStarted = performance.now();
  // One consistent read: another replica may commit while this one loads (see consistentRead).
  const loaded = await consistentRead(knex, (db) => loadBooks(engine, db, { onRejected: onSnapshotRejected }));
  metrics.booksLoaded.set(loaded.books);
  metrics.booksLoadSeconds.set((performance.now() - loadStarted) / 1000);
  metrics.restingOrders.set(engine.symbols().reduce((n, s) => n + engine.book(s).restingCount, 0));
  logger.info({ component: 'order-path', ...loaded, ms: Math.round(performance.now() - loadStarted) }, 'books loaded');
  const snapshots =
    config.SNAPSHOT_INTERVAL_SECONDS > 0
      ? startSnapshots({
          knex,
          engine,
          atRest: (f) => path.atRest(f),
          intervalSeconds: config.SNAPSHOT_INTERVAL_SECONDS,
          minSeqs: config.SNAPSHOT_MIN_SEQS,
          keep: config.SNAPSHOT_KEEP,
          onWritten: (symbol, seq, orders, pauseMs, totalMs) => {
            metrics.bookSnapshots.inc();
            metrics.bookSnapshotPause.observe(pauseMs / 1000);
            logger.info({ component: 'order-path', symbol, seq, orders, pauseMs: Math.round(pauseMs * 10) / 10, ms: Math.round(totalMs) }, 'book snapshot written');
          },
          onError: (err, symbol) => {
            metrics.bookSnapshotFailures.inc();
            logger.warn({ component: 'order-path', err, symbol }, 'book snapshot failed; the next pass tries again');
          },
        })
      : undefined;
  reports?.start(new Map(engine.symbols().map((s) => [s, engine.book(s).seq])));
  const expiry = new ExpiryScheduler({
    knex,
    path,
    sessions,
    intervalMs: config.SESSION_CHECK_SECONDS * 1000,
    onRun: (runs) => {
      for (const r of runs) if (r.performed) logger.info({ component: 'sessions', symbol: r.symbol, close: new Date(r.closeMs).toISOString(), expired: r.expired }, 'DAY orders expired at the close');
    },
    onError: (err) => logger.warn({ component: 'sessions', err }, 'DAY order expiry pass failed; the next pass retries'),
  });
  // Before taking orders: what should have expired while this replica was down expires now.
  await expiry.start();
  const services: Services = {
    config,
    logger,
    metrics,
    orm,
    knex,
    dialect,
    engine,
    path,
    admission: new Admission({
      targetMs: config.ORDER_ADMISSION_TARGET_MS,
      minInFlight: config.ORDER_ADMISSION_MIN_IN_FLIGHT,
      onRefused: (reason) => metrics.serviceUnavailable.inc({ reason }),
    }),
    accounts,
    products,
    orders,
    risk,
    killSwitch: new KillSwitch(knex, path, products),
    marketData,
    sessions,
    expiry,
    bus,
    publisher,
    snapshots,
    ready: true,
    generatedAdminPassword,
    async drain() {
      services.ready = false;
      await expiry.stop();
      await path.stop();
    },
    async close() {
      await services.drain();
      await replication?.close();
      await reports?.close();
      await pruning?.stop();
      await snapshots?.stop();
      await Promise.all(accountFeeds.map((f) => f.return(undefined)));
      await bus.close();
      await limitsRedis?.quit().catch(() => {});
      await pathDb.close();
      await orm.close(true);
    },
  };
  return services;
}
