/**
 * The API process: `node api/dist/main.js`. Reads the environment once, starts everything,
 * prints where to open the app, and shuts down gracefully on SIGTERM/SIGINT.
 */
import 'reflect-metadata';
import { loadConfig, ConfigError } from './config.js';
import { createLogger } from './logger.js';
import { startApp } from './app.js';

let config;
try {
  config = loadConfig();
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(2);
  }
  throw e;
}
const logger = createLogger(config.LOG_LEVEL);
const say = (line: string) => process.stdout.write(`${line}\n`);

say(`Trading App starting (database: ${config.DATABASE_URL.split(':')[0]})`);
const app = await startApp(config, logger, say);
const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
const url = `http://${host}:${app.port}`;
say('');
say(`Trading App is running: open ${url}`);
const metricsUrl = app.server.metricsPort === null ? `${url}/metrics` : `http://${config.metricsListener!.host}:${app.server.metricsPort}/metrics`;
say(`  GraphQL API: ${url}/graphql${config.graphqlIde ? `   IDE: ${url}/graphiql.html` : ''}   metrics: ${metricsUrl}`);
if (app.services.generatedAdminPassword) {
  say(`  Log in as admin: username "${config.ADMIN_USERNAME}", password "${app.services.generatedAdminPassword}"`);
  say('  (generated on first start and shown only once; set ADMIN_PASSWORD to choose it)');
} else {
  say(`  Log in as admin: username "${config.ADMIN_USERNAME}" with the password set on first start (ADMIN_PASSWORD or the one printed then).`);
}

let signals = 0;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (++signals > 1) process.exit(1);
    logger.info({ component: 'http', signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ component: 'http' }, 'shutdown grace period exceeded; exiting');
      process.exit(1);
    }, config.SHUTDOWN_GRACE_SECONDS * 1000);
    timer.unref();
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ component: 'http', err }, 'error during shutdown');
        process.exit(1);
      },
    );
  });
}
