import fs from 'node:fs';
import path from 'node:path';
import { configureServer, createApp, closeApp } from './app.js';
import { ConfigError, loadConfig, REPO_ROOT } from './config.js';
import { seedDemoCatalog } from './services/demo-catalog.js';
import { ensureSiteBuilt } from './services/publish.js';

/** Loads `.env` from the repository root when present; real environment variables win. */
function loadDotEnv(): void {
  const file = path.join(REPO_ROOT, '.env');
  if (fs.existsSync(file)) process.loadEnvFile(file);
}

/** Entry point of `npm start`: reads the environment, builds the app and listens. */
async function main(): Promise<void> {
  loadDotEnv();
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const app = createApp(config);
  const { logger } = app.locals.context;
  const log = logger.child({ area: 'server' });

  // The demo catalog (first start of a non-production store only) is seeded before listening,
  // so the storefront build that starts below already shows it.
  if (config.env !== 'production') {
    await seedDemoCatalog(app.locals.context).catch((error: unknown) => {
      log.error({ err: error }, 'could not seed the demo catalog; the store starts without it');
    });
  }

  const server = app.listen(config.port, config.host ?? '0.0.0.0', (error?: Error) => {
    // Express 5 hands listen errors (a taken port, a host that is not ours) to this callback
    // instead of throwing; without this check a failed start would look like a running store.
    if (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason =
        code === 'EADDRINUSE'
          ? `port ${config.port} is already in use; stop the other program or set PORT to a free port`
          : `${error.message}; check PORT and HOST`;
      console.error(`Vitrine cannot start: ${reason}.`);
      void closeApp(app).finally(() => process.exit(1));
      return;
    }
    log.info(
      { url: config.publicUrl, dataDir: config.dataDir },
      `Vitrine is serving ${config.publicUrl}`,
    );
    if (config.adminTokenGenerated) {
      log.warn(
        `First start: generated an admin token into ${config.dataDir}/secrets.json. ` +
          `Admin token: ${config.adminToken}`,
      );
    }
    if (!config.stripe.secretKey) {
      log.warn(
        'Stripe keys are not set: the catalog works, checkout explains that STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY (test keys) are needed.',
      );
    }
    // SITE_BUILD=auto: build the storefront in the background when there is none yet or the
    // live one is out of date; until it is ready, `/` says the storefront is being built.
    if (ensureSiteBuilt(app.locals.context)) log.info('building the storefront in the background');
  });

  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    server.close(() => {
      void closeApp(app).then(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 5000).unref();
  };
  configureServer(server);
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

void main();
