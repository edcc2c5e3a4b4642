import type Database from 'better-sqlite3';

/**
 * The register database in the vendor's convention: booking tables carry the
 * `F_` prefix (the "F_ tables of the remote point of sale" that head office
 * can reconcile against), master data the `M_` prefix. Columns are declared
 * without NOT NULL / CHECK on purpose: a real register's journal is not
 * trusted by the plugin, and the demo generator must be able to store rows
 * that fail the host contract so quarantine can be shown.
 */
export const JOURNAL_SCHEMA_VERSION = 3;

/**
 * The security module's (TSE) columns of F_RECEIPT, added by version 2; all
 * NULL for a register without a module. Named after the host contract's
 * `tse` fields (records.ts), in their order.
 */
export const TSE_COLUMNS = [
  'tse_serial_number',
  'tse_transaction_number',
  'tse_signature_counter',
  'tse_started_at',
  'tse_finished_at',
  'tse_process_type',
  'tse_signature',
  'tse_signature_algorithm',
  'tse_time_format',
  'tse_error',
] as const;
const TSE_COLUMN_TYPES = ['TEXT', 'INTEGER', 'INTEGER', 'TEXT', 'TEXT', 'TEXT', 'TEXT', 'TEXT', 'TEXT', 'TEXT'];

/**
 * Version 3: the register's security modules (M_TSE), each serial its
 * receipts carry in tse_serial_number with the module's public key (Base64),
 * what the day's closing names as its tseModules.
 */
const TSE_MODULE_DDL = `CREATE TABLE IF NOT EXISTS M_TSE (
  serial_number TEXT PRIMARY KEY,
  public_key TEXT
)`;

const DDL = `
CREATE TABLE IF NOT EXISTS M_VAT_RATE (
  vat_rate_id TEXT PRIMARY KEY,
  name TEXT,
  basis_points INTEGER
);
CREATE TABLE IF NOT EXISTS M_PAYMENT_TYPE (
  payment_type_id TEXT PRIMARY KEY,
  name TEXT
);
CREATE TABLE IF NOT EXISTS M_ARTICLE (
  article_id TEXT PRIMARY KEY,
  name TEXT,
  unit_price_minor INTEGER,
  vat_rate_id TEXT REFERENCES M_VAT_RATE(vat_rate_id),
  sold_by_weight INTEGER
);
CREATE TABLE IF NOT EXISTS M_EMPLOYEE (
  employee_id TEXT PRIMARY KEY,
  name TEXT
);
CREATE TABLE IF NOT EXISTS F_RECEIPT (
  receipt_id TEXT PRIMARY KEY,
  receipt_no INTEGER,
  business_day TEXT,
  opened_at TEXT,
  closed_at TEXT,
  cashier_id TEXT,
  kind TEXT,
  currency TEXT,
  gross_minor INTEGER,
${TSE_COLUMNS.map((c, i) => `  ${c} ${TSE_COLUMN_TYPES[i]}`).join(',\n')}
);
CREATE INDEX IF NOT EXISTS F_RECEIPT_BY_DAY ON F_RECEIPT (business_day, receipt_no, receipt_id);
CREATE TABLE IF NOT EXISTS F_RECEIPT_LINE (
  receipt_id TEXT REFERENCES F_RECEIPT(receipt_id),
  line_no INTEGER,
  article_id TEXT,
  description TEXT,
  quantity_milli INTEGER,
  unit_price_minor INTEGER,
  gross_minor INTEGER,
  vat_rate_id TEXT,
  vat_rate_basis_points INTEGER,
  voided INTEGER,
  PRIMARY KEY (receipt_id, line_no)
);
CREATE TABLE IF NOT EXISTS F_PAYMENT (
  receipt_id TEXT REFERENCES F_RECEIPT(receipt_id),
  payment_no INTEGER,
  payment_type_id TEXT,
  payment_type_name TEXT,
  amount_minor INTEGER,
  PRIMARY KEY (receipt_id, payment_no)
);
CREATE TABLE IF NOT EXISTS F_STOCK_POSTING (
  posting_id TEXT PRIMARY KEY,
  business_day TEXT,
  posted_at TEXT,
  article_id TEXT,
  quantity_milli INTEGER,
  reason TEXT,
  receipt_id TEXT
);
CREATE INDEX IF NOT EXISTS F_STOCK_POSTING_BY_DAY ON F_STOCK_POSTING (business_day, posting_id);
CREATE TABLE IF NOT EXISTS F_TIME_RECORD (
  record_id TEXT PRIMARY KEY,
  business_day TEXT,
  employee_id TEXT,
  kind TEXT,
  at TEXT
);
CREATE INDEX IF NOT EXISTS F_TIME_RECORD_BY_DAY ON F_TIME_RECORD (business_day, at, record_id);
${TSE_MODULE_DDL};
CREATE TABLE IF NOT EXISTS F_CLOSING (
  z_number INTEGER PRIMARY KEY,
  business_day TEXT NOT NULL UNIQUE,
  closed_at TEXT NOT NULL
);
`;

/** Booking tables, in the order a dump or a comparison walks them. */
export const JOURNAL_TABLES = [
  'M_VAT_RATE',
  'M_PAYMENT_TYPE',
  'M_ARTICLE',
  'M_EMPLOYEE',
  'M_TSE',
  'F_RECEIPT',
  'F_RECEIPT_LINE',
  'F_PAYMENT',
  'F_STOCK_POSTING',
  'F_TIME_RECORD',
  'F_CLOSING',
] as const;

export function applyJournalSchema(db: Database.Database): void {
  migrateJournalSchema(db);
  db.exec(DDL);
  db.pragma(`user_version = ${JOURNAL_SCHEMA_VERSION}`);
}

/**
 * Brings a version-1 journal (no TSE columns) or a version-2 one (no M_TSE)
 * up to this version; a journal of no version is left to the DDL.
 */
export function migrateJournalSchema(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version !== 1 && version !== 2) return;
  const present = new Set((db.prepare('PRAGMA table_info(F_RECEIPT)').all() as { name: string }[]).map((c) => c.name));
  db.transaction(() => {
    TSE_COLUMNS.forEach((c, i) => {
      if (!present.has(c)) db.exec(`ALTER TABLE F_RECEIPT ADD COLUMN ${c} ${TSE_COLUMN_TYPES[i]}`);
    });
    db.exec(TSE_MODULE_DDL);
    db.pragma(`user_version = ${JOURNAL_SCHEMA_VERSION}`);
  })();
}
