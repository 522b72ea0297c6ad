/**
 * Numbered schema migrations, applied in order at start and recorded in `schema_migrations`.
 * Never edit a shipped migration; add the next number. The SQL stays portable to PostgreSQL:
 * TEXT ids and ISO timestamps, INTEGER money in minor units, no SQLite-only column types.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'catalog, orders, payments, downloads, shipments, outbox',
    sql: `
CREATE TABLE products (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL CHECK (type IN ('digital', 'physical', 'hybrid')),
  price_amount INTEGER NOT NULL CHECK (price_amount >= 0),
  currency TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  license TEXT,
  sku TEXT,
  weight_grams INTEGER,
  stock INTEGER,
  model_id TEXT,
  poster_path TEXT,
  archived_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE models (
  id TEXT PRIMARY KEY,
  product_id TEXT NOT NULL REFERENCES products(id),
  sha256 TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  original_path TEXT NOT NULL,
  original_filename TEXT NOT NULL,
  preview_path TEXT,
  facts_json TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX models_product ON models(product_id);

CREATE TABLE orders (
  id TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL,
  email TEXT NOT NULL,
  status TEXT NOT NULL,
  currency TEXT NOT NULL,
  total_amount INTEGER NOT NULL,
  fulfillment_type TEXT NOT NULL,
  product_type TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  payment_intent_id TEXT UNIQUE,
  checkout_session_id TEXT UNIQUE,
  shipping_address_json TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  paid_at TEXT,
  fulfilled_at TEXT,
  expires_at TEXT
);
CREATE INDEX orders_status_created ON orders(status, created_at);
CREATE INDEX orders_email ON orders(email);

CREATE TABLE order_items (
  id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders(id),
  position INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('product', 'shipping')),
  product_id TEXT REFERENCES products(id),
  product_type TEXT,
  model_id TEXT REFERENCES models(id),
  name TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  unit_amount INTEGER NOT NULL,
  amount INTEGER NOT NULL
);
CREATE INDEX order_items_order ON order_items(order_id);

CREATE TABLE payments (
  id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders(id),
  provider_ref TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (provider_ref, kind)
);
CREATE INDEX payments_order ON payments(order_id);

CREATE TABLE stripe_events (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  order_id TEXT,
  received_at TEXT NOT NULL,
  processed_at TEXT,
  outcome TEXT
);

CREATE TABLE fulfillments (
  order_id TEXT PRIMARY KEY REFERENCES orders(id),
  fulfillment_type TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE download_grants (
  id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders(id),
  product_id TEXT NOT NULL REFERENCES products(id),
  model_id TEXT NOT NULL REFERENCES models(id),
  max_downloads INTEGER NOT NULL,
  downloads_used INTEGER NOT NULL DEFAULT 0,
  expires_at TEXT NOT NULL,
  revoked_at TEXT,
  revoked_reason TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (order_id, product_id)
);

CREATE TABLE download_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  grant_id TEXT,
  at TEXT NOT NULL,
  status INTEGER NOT NULL,
  bytes INTEGER NOT NULL DEFAULT 0,
  range_header TEXT,
  ip_hash TEXT NOT NULL
);
CREATE INDEX download_attempts_grant ON download_attempts(grant_id);

CREATE TABLE stock_reservations (
  order_id TEXT NOT NULL REFERENCES orders(id),
  product_id TEXT NOT NULL REFERENCES products(id),
  quantity INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('reserved', 'committed', 'released')),
  updated_at TEXT NOT NULL,
  PRIMARY KEY (order_id, product_id)
);

CREATE TABLE shipments (
  id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL UNIQUE REFERENCES orders(id),
  status TEXT NOT NULL,
  carrier TEXT,
  tracking_number TEXT,
  tracking_url TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  packed_at TEXT,
  shipped_at TEXT,
  delivered_at TEXT,
  returned_at TEXT
);

CREATE TABLE shipment_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  shipment_id TEXT NOT NULL REFERENCES shipments(id),
  from_status TEXT,
  to_status TEXT NOT NULL,
  actor TEXT NOT NULL,
  at TEXT NOT NULL
);

CREATE TABLE outbox (
  id TEXT PRIMARY KEY,
  dedupe_key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  to_address TEXT NOT NULL,
  subject TEXT NOT NULL,
  text_body TEXT NOT NULL,
  html_body TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  claimed_until TEXT,
  sent_at TEXT,
  last_error TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox(sent_at, next_attempt_at);
`,
  },
  {
    version: 2,
    name: 'outbox claimer, extra order keys issued by the order lookup and receipts',
    sql: `
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;

CREATE TABLE order_keys (
  order_id TEXT NOT NULL REFERENCES orders(id),
  key_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);
CREATE INDEX order_keys_order ON order_keys(order_id);
`,
  },
  {
    version: 3,
    name: 'orders flagged for the owner (amount mismatch, stock shortfall)',
    sql: `
ALTER TABLE orders ADD COLUMN attention TEXT;
CREATE INDEX orders_created ON orders(created_at);
`,
  },
  {
    version: 4,
    name: 'generated poster per model; store settings (demo catalog seeded once)',
    sql: `
ALTER TABLE models ADD COLUMN poster_path TEXT;

CREATE TABLE store_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
`,
  },
];
