import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { createServices, type ServiceDeps, type Services } from './services.js';
import { createAppServer, type AppServer } from './server.js';
import { createSchema } from './graphql/schema.js';
import { attachWebSocketServer } from './modules/realtime/ws-server.js';
import { startFixGateway } from './modules/fix/fix-gateway.js';

/** A running API process: services plus the HTTP/WebSocket server. */
export interface App {
  readonly services: Services;
  readonly server: AppServer;
  /** The bound port. */
  readonly port: number;
  /** The FIX gateway's bound port; null when FIX_ENABLED is false. */
  readonly fixPort: number | null;
  /** Graceful stop: no new orders, drain in-flight commits and requests, close the database. */
  stop(): Promise<void>;
}

/** Builds and starts the whole API on `config`. */
export async function startApp(config: Config, logger: Logger, progress?: (line: string) => void, deps?: ServiceDeps): Promise<App> {
  const services = await createServices(config, logger, progress, deps);
  const schema = await createSchema();
  const server = await createAppServer(services, schema);
  const ws = attachWebSocketServer(server.http, schema, services);
  const port = await server.listen(config.PORT, config.HOST);
  const fix = config.FIX_ENABLED ? await startFixGateway(services, { host: config.HOST, port: config.FIX_PORT }) : undefined;
  let stopping: Promise<void> | undefined;
  return {
    services,
    server,
    port,
    fixPort: fix?.port ?? null,
    stop: () =>
      (stopping ??= (async () => {
        await fix?.stop();
        await services.drain();
        await ws.close();
        await server.close();
        await services.close();
      })()),
  };
}
