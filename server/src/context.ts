import path from 'node:path';
import type { Config } from './config.js';
import { openDatabase, type Db } from './db/database.js';
import { createLogger, type Logger } from './logger.js';

/**
 * What every route and service needs, built once per app. Services take the context (or the
 * parts they use) as their first argument instead of importing singletons, so a test can run
 * several apps side by side on separate data directories.
 */
export interface AppContext {
  config: Config;
  db: Db;
  logger: Logger;
  /** Folders under DATA_DIR. `originals` is private; `public` is served at `/files`. */
  paths: {
    originals: string;
    public: string;
    previews: string;
    posters: string;
    tmp: string;
    outbox: string;
    site: string;
  };
  /** Closers registered by services (timers, workers, mail transports), run by `close()`. */
  onClose: Array<() => void | Promise<void>>;
}

export function createContext(config: Config, logger?: Logger): AppContext {
  const root = config.dataDir;
  const publicDir = path.join(root, 'files', 'public');
  return {
    config,
    db: openDatabase(path.join(root, 'store.db')),
    logger: logger ?? createLogger(config),
    paths: {
      originals: path.join(root, 'files', 'originals'),
      public: publicDir,
      previews: path.join(publicDir, 'previews'),
      posters: path.join(publicDir, 'posters'),
      tmp: path.join(root, 'files', 'tmp'),
      outbox: path.join(root, 'outbox'),
      site: path.join(root, 'site'),
    },
    onClose: [],
  };
}
