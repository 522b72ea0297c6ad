import type http from 'node:http';
import express from 'express';
import type { Config } from './config.js';
import { createContext, type AppContext } from './context.js';
import { requireAdmin } from './http/auth.js';
import { errorHandler, notFound } from './http/errors.js';
import type { Logger } from './logger.js';
import { adminGrantsRouter } from './routes/admin/grants.js';
import { adminOrdersRouter } from './routes/admin/orders.js';
import { adminProductsRouter } from './routes/admin/products.js';
import { adminPublishRouter } from './routes/admin/publish.js';
import { adminShipmentsRouter } from './routes/admin/shipments.js';
import { checkoutRouter } from './routes/checkout.js';
import { downloadsRouter } from './routes/downloads.js';
import { filesRouter } from './routes/files.js';
import { healthRouter } from './routes/health.js';
import { orderLookupRouter } from './routes/order-lookup.js';
import { ordersRouter } from './routes/orders.js';
import { productsRouter } from './routes/products.js';
import { siteRouter } from './routes/site.js';
import { webhooksRouter } from './routes/webhooks.js';
import { startBackgroundWork } from './services/background.js';

export interface VitrineApp extends express.Express {
  locals: express.Express['locals'] & { context: AppContext };
}

export interface CreateAppOptions {
  logger?: Logger;
  /** Start timers and workers (outbox, order expiry). Tests that drive them by hand pass false. */
  background?: boolean;
}

/**
 * Builds the Express app without listening, so tests drive it over a port of their own.
 * Call `closeApp(app)` to stop its workers and close the database.
 */
export function createApp(config: Config, options: CreateAppOptions = {}): VitrineApp {
  const context = createContext(config, options.logger);
  const app = express() as VitrineApp;
  app.locals.context = context;
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  // Order matters: the webhook needs the exact bytes Stripe signed, so its raw-body router is
  // mounted before any JSON parser can consume the stream.
  app.use('/api/webhooks', webhooksRouter(context));
  app.use('/api/admin', requireAdmin(config.adminToken));
  // Model and poster uploads stream their own bodies; mount them before the JSON parser too.
  app.use('/api/admin/products', adminProductsRouter(context));
  app.use(express.json({ limit: '100kb' }));

  app.use('/api/health', healthRouter(context));
  app.use('/api/products', productsRouter(context));
  app.use('/api/checkout', checkoutRouter(context));
  app.use('/api/orders/lookup', orderLookupRouter(context));
  app.use('/api/orders', ordersRouter(context));
  app.use('/api/downloads', downloadsRouter(context));
  app.use('/api/admin/orders', adminOrdersRouter(context));
  app.use('/api/admin/orders', adminShipmentsRouter(context));
  app.use('/api/admin/publish', adminPublishRouter(context));
  app.use('/api/admin/grants', adminGrantsRouter(context));
  app.use('/api', notFound);
  app.use('/files', filesRouter(context));
  app.use(siteRouter(context));
  app.use(notFound);
  app.use(errorHandler(context.logger.child({ area: 'server' })));

  if (options.background ?? true) startBackgroundWork(context);
  return app;
}

/** A connection that sends and receives nothing for this long is closed. */
export const SOCKET_IDLE_TIMEOUT_MS = 120_000;

/**
 * Settings for the HTTP server that runs the app. Node ends any request whose body has not all
 * arrived five minutes after it started (`requestTimeout`, answering 408), which cuts off a
 * large model upload on an ordinary uplink (1 GB in five minutes needs about 27 Mbit/s). So
 * that limit is lifted, and a connection that goes quiet (nothing sent or received) is closed
 * after the idle timeout instead. Headers must still arrive within `headersTimeout`.
 */
export function configureServer(
  server: http.Server,
  options: { idleTimeoutMs?: number } = {},
): void {
  server.requestTimeout = 0;
  server.setTimeout(options.idleTimeoutMs ?? SOCKET_IDLE_TIMEOUT_MS);
}

/** Stops background work and closes the database. */
export async function closeApp(app: VitrineApp): Promise<void> {
  const { context } = app.locals;
  for (const close of context.onClose.splice(0).reverse()) await close();
  context.db.close();
}
