import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import {
  DefinitionFactory,
  DITokens,
  FixDuplex,
  JsFixConfig,
  MsgTransport,
  SessionContainer,
  type FixDefinitions,
  type ISessionDescription,
  type ISessionMsgFactory,
  type ISessionRegistry,
} from 'jspurefix';
import { makeSessionScope } from 'jspurefix/dist/runtime/session-scope.js';
import type { Services } from '../../services.js';
import { ClOrdIdMap } from './cl-ord-id-map.js';
import { FramingStream, type FrameEvent } from './fix-framer.js';
import { BEGIN_STRING, DICTIONARY, LOGOUT_WAIT_MS, SESSION_LEASE_RENEW_MS } from './fix-codes.js';
import { PinoFixLogFactory } from './fix-log.js';
import { AccountSessions, GatewaySession, type GatewayContext } from './gateway-session.js';
import type { FieldDictionary } from './order-mapping.js';
import { OutboundJournal } from './outbound-journal.js';
import { DbSessionStoreFactory } from './seqnum-store.js';

/** A running FIX 4.4 acceptor. */
export interface FixGateway {
  /** The bound TCP port (the configured one, or the one the OS chose for port 0). */
  readonly port: number;
  /** True when the gateway speaks FIX over TLS (FIX_TLS_CERT_FILE / FIX_TLS_KEY_FILE). */
  readonly tls: boolean;
  /** Logged-on sessions in this process. */
  readonly sessionCount: number;
  /** Logs every session out ("server shutting down"), closes the listener and writes the sequence numbers. */
  stop(): Promise<void>;
}

/** Where the gateway listens. */
export interface FixGatewayOptions {
  readonly host: string;
  /** 0: any free port (read it from {@link FixGateway.port}). */
  readonly port: number;
}

let definitions: Promise<FixDefinitions> | undefined;

/** The FIX 4.4 dictionary, parsed once per process. */
export function fixDefinitions(): Promise<FixDefinitions> {
  definitions ??= new DefinitionFactory().getDefinitions(DICTIONARY);
  return definitions;
}

/**
 * jspurefix's registry stops a session as soon as another connection *names* the same CompIDs,
 * before any password is checked. The gateway decides after authentication instead
 * (AccountSessions, and the database lease), so the engine gets a registry that never acts.
 */
const PASSIVE_REGISTRY: ISessionRegistry = {
  register: () => false,
  unregister: () => {},
  count: 0,
  keys: () => [],
  get: () => null,
};

/**
 * A connection as jspurefix sees it: it reads whole, verified messages from the framer and
 * writes to the socket.
 */
class FramedDuplex extends FixDuplex {
  constructor(
    private readonly socket: Socket,
    framing: FramingStream,
  ) {
    super();
    this.readable = framing;
    this.writable = socket;
  }

  end(): void {
    this.socket.end();
  }

  override destroy(): void {
    this.socket.destroy();
  }
}

/** The acceptor's session description: our CompID, any counterparty CompID ('*'), FIX 4.4. */
function acceptorDescription(services: Services, options: FixGatewayOptions): ISessionDescription {
  return {
    application: {
      type: 'acceptor',
      name: 'fix-gateway',
      protocol: 'ascii',
      dictionary: DICTIONARY,
      resilient: false,
      reconnectSeconds: 0,
      tcp: { host: options.host, port: options.port, keepAliveMs: 30_000 },
    },
    Name: 'fix-gateway',
    BeginString: BEGIN_STRING,
    SenderCompId: services.config.FIX_SENDER_COMP_ID,
    TargetCompID: '*',
    SenderSubID: '',
    TargetSubID: '',
    Username: '',
    Password: '',
    HeartBtInt: 30,
    ResetSeqNumFlag: false,
  };
}

/**
 * Starts the FIX 4.4 order-entry gateway: a TCP listener whose every connection becomes a
 * jspurefix acceptor session ({@link GatewaySession}) of its own, with sequence numbers in the
 * platform database. Resolves once listening.
 */
export async function startFixGateway(services: Services, options: FixGatewayOptions): Promise<FixGateway> {
  const logger = services.logger;
  const defs = await fixDefinitions();
  const description = acceptorDescription(services, options);
  const container = new SessionContainer();
  const scope = container.newChild(description);
  const config = new JsFixConfig(scope.resolve<ISessionMsgFactory>(DITokens.ISessionMsgFactory), defs, description, undefined, new PinoFixLogFactory(logger));
  container.registerSession(config, scope);
  const stores = new DbSessionStoreFactory(services.knex, `${process.pid}-${randomUUID()}`, () => new OutboundJournal(services.config.FIX_RESEND_JOURNAL_SIZE), logger);
  config.sessionRegistry = PASSIVE_REGISTRY;

  const dict: FieldDictionary = {
    allows: (tag, value) => {
      const field = defs.tagToSimple[tag];
      return !field?.isEnum() || field.containsEnum(value);
    },
  };
  const sessions = new AccountSessions();
  const ctx: GatewayContext = {
    services,
    compId: services.config.FIX_SENDER_COMP_ID,
    sessions,
    clOrdIds: new ClOrdIdMap(services.knex, services.orders),
    dict,
    defs,
    stores,
    journal: (key) => stores.journal(key),
    logonTimeoutMs: services.config.FIX_LOGON_TIMEOUT_SECONDS * 1000,
    maxMessageBytes: services.config.FIX_MAX_MESSAGE_BYTES,
    cancels: new Set(),
    logger,
  };

  const live = new Set<GatewaySession>();
  const sockets = new Set<Socket>();
  let nextTransportId = 0;
  let stopping = false;

  const onConnection = (socket: Socket) => {
    if (stopping) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true, description.application?.tcp?.keepAliveMs);
    sockets.add(socket);
    const framing = new FramingStream(ctx.maxMessageBytes);
    socket.on('error', (err) => {
      logger.debug({ component: 'fix', err }, 'FIX connection error');
      framing.destroy(err);
    });
    socket.on('close', () => {
      sockets.delete(socket);
      if (!framing.destroyed && !framing.writableEnded) framing.end();
    });
    socket.pipe(framing);
    const sessionConfig = makeSessionScope(config);
    const transport = new MsgTransport(++nextTransportId, sessionConfig, new FramedDuplex(socket, framing));
    const session = new GatewaySession(sessionConfig, ctx, socket.remoteAddress ?? 'unknown');
    framing.on('garbled', (e: Extract<FrameEvent, { type: 'garbled' }>) => session.garbled(e));
    framing.on('oversize', (e: Extract<FrameEvent, { type: 'oversize' }>) => session.oversize(e.bytes));
    live.add(session);
    session
      .run(transport)
      .catch((err: unknown) => logger.debug({ component: 'fix', err }, 'FIX session ended with an error'))
      .finally(() => live.delete(session));
  };
  const { FIX_TLS_CERT_FILE: certFile, FIX_TLS_KEY_FILE: keyFile } = services.config;
  const tls = certFile !== undefined && keyFile !== undefined;
  const server: Server = tls
    ? createTlsServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2', handshakeTimeout: ctx.logonTimeoutMs }, onConnection).on(
        'tlsClientError',
        (err) => logger.debug({ component: 'fix', err }, 'FIX TLS handshake failed'),
      )
    : createServer(onConnection);

  // Renew the lease of every logged-on session (a write of its numbers).
  const renew = setInterval(() => {
    for (const s of live) s.renewLease();
  }, SESSION_LEASE_RENEW_MS);
  renew.unref();

  const revoked = services.bus.pubsub.subscribe('revoked');
  void (async () => {
    for await (const r of revoked) {
      // An account disabled (every session of it revoked): its FIX session ends too.
      if (r.sessionId === undefined) void sessions.get(r.userId)?.shutdown('The account was disabled.');
    }
  })().catch((err: unknown) => logger.error({ component: 'fix', err }, 'FIX revocation listener failed'));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ component: 'fix', err }, 'FIX listener error'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  logger.info({ component: 'fix', host: options.host, port, compId: ctx.compId, tls }, 'FIX gateway listening');

  let stopped: Promise<void> | undefined;
  return {
    port,
    tls,
    get sessionCount() {
      return sessions.all().filter((s) => s.accountId !== undefined).length;
    },
    stop: () =>
      (stopped ??= (async () => {
        stopping = true;
        clearInterval(renew);
        await revoked.return?.();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        const ending = [...live].map((s) => s.shutdown('Server shutting down.'));
        await Promise.race([Promise.all(ending), new Promise((r) => setTimeout(r, LOGOUT_WAIT_MS).unref())]);
        for (const s of live) s.kill('server stopped');
        await Promise.all([...live].map((s) => s.whenEnded()));
        // Cancel-on-disconnect of the sessions just ended, before the order path stops.
        while (ctx.cancels.size > 0) await Promise.all(ctx.cancels);
        for (const socket of sockets) socket.destroy();
        await closed;
        await stores.idle();
        logger.info({ component: 'fix' }, 'FIX gateway stopped');
      })()),
  };
}
