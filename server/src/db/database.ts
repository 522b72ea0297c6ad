import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrations } from './migrations.js';

export type Db = Database.Database;

/**
 * Opens `file` in WAL mode with a busy timeout and applies pending migrations. Writers use
 * {@link writeTransaction}, which begins IMMEDIATE so two writers never deadlock on upgrade.
 */
export function openDatabase(file: string): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  migrate(db);
  return db;
}

/** Applies the numbered migrations not yet recorded in `schema_migrations`, in order. */
export function migrate(db: Db): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const applied = new Set(
    db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[],
  );
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    writeTransaction(db, () => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
    });
  }
}

/**
 * Runs `work` inside `BEGIN IMMEDIATE … COMMIT`, rolling back on any throw. Nested calls join
 * the outer transaction. `work` must be synchronous: better-sqlite3 is, and an await inside
 * would let another request interleave its writes.
 */
export function writeTransaction<T>(db: Db, work: () => T): T {
  return db.transaction(work).immediate();
}

/** ISO-8601 UTC timestamp; the one clock format stored in the database. */
export function now(): string {
  return new Date().toISOString();
}
