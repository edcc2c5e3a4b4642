/**
 * The central journal's tables, described once and rendered for SQLite and
 * PostgreSQL, so both back ends hold exactly the same schema and the import
 * code can stay dialect-free. Amounts are integer minor units (BIGINT in
 * PostgreSQL); booleans are 0/1 integers in both, so rows compare alike.
 */
export type ColumnType = 'text' | 'int' | 'bigint';

export interface ColumnDef {
  name: string;
  type: ColumnType;
  nullable?: boolean;
  /** The migration that added the column to an existing table; a table created by an earlier migration lacks it. */
  since?: number;
}

export interface TableDef {
  name: CentralTable;
  columns: ColumnDef[];
  primaryKey: string[];
  indexes?: { name: string; columns: string[] }[];
}

export type CentralTable =
  | 'registers'
  | 'packages'
  | 'receipts'
  | 'receipt_lines'
  | 'payments'
  | 'stock_postings'
  | 'time_records'
  | 'quarantined_records'
  | 'conflicts'
  | 'retired_register_keys'
  | 'central_settings'
  | 'package_tse_modules'
  | 'receipt_number_days';

const t = (name: string, nullable = false): ColumnDef => ({ name, type: 'text', nullable });
const i = (name: string): ColumnDef => ({ name, type: 'int' });
const big = (name: string): ColumnDef => ({ name, type: 'bigint' });
const REGISTER = [t('customer_number'), t('register_id')];
/** The receipt's security-module (TSE) fields, added by migration 5; NULL where the register has no module. */
export const RECEIPT_TSE_COLUMNS: readonly ColumnDef[] = [
  { ...t('tse_serial_number', true), since: 5 },
  { name: 'tse_transaction_number', type: 'bigint', nullable: true, since: 5 },
  { name: 'tse_signature_counter', type: 'bigint', nullable: true, since: 5 },
  { ...t('tse_started_at', true), since: 5 },
  { ...t('tse_finished_at', true), since: 5 },
  { ...t('tse_process_type', true), since: 5 },
  { ...t('tse_signature', true), since: 5 },
  { ...t('tse_signature_algorithm', true), since: 5 },
  { ...t('tse_time_format', true), since: 5 },
  { ...t('tse_error', true), since: 5 },
];
/** Where a row came from: a package id, or `reconcile:<run id>` for data synchronisation. */
const PROVENANCE = [t('content_sha256'), t('source'), t('imported_at')];

export const CENTRAL_TABLES: readonly TableDef[] = [
  {
    name: 'registers',
    columns: [...REGISTER, t('public_key_id'), t('public_key_pem'), t('pinned_at'), t('pinned_by_package')],
    primaryKey: ['customer_number', 'register_id'],
  },
  {
    name: 'packages',
    columns: [
      t('package_id'),
      ...REGISTER,
      t('business_day'),
      t('kind'),
      { name: 'closing_number', type: 'int', nullable: true },
      t('created_at'),
      t('manifest_sha256'),
      t('status'),
      t('outcome_json'),
      t('imported_at'),
    ],
    primaryKey: ['package_id'],
  },
  {
    name: 'receipts',
    columns: [
      ...REGISTER,
      t('receipt_id'),
      i('receipt_no'),
      t('business_day'),
      t('opened_at'),
      t('closed_at'),
      t('cashier_id'),
      t('kind'),
      t('currency'),
      big('gross_minor'),
      i('line_count'),
      i('payment_count'),
      ...PROVENANCE,
      ...RECEIPT_TSE_COLUMNS,
    ],
    primaryKey: ['customer_number', 'register_id', 'receipt_id'],
    indexes: [{ name: 'receipts_by_day', columns: ['customer_number', 'register_id', 'business_day'] }],
  },
  {
    name: 'receipt_lines',
    columns: [
      ...REGISTER,
      t('receipt_id'),
      i('line_no'),
      t('article_id'),
      t('description'),
      big('quantity_milli'),
      big('unit_price_minor'),
      big('gross_minor'),
      t('vat_rate_id'),
      i('vat_rate_basis_points'),
      i('voided'),
    ],
    primaryKey: ['customer_number', 'register_id', 'receipt_id', 'line_no'],
  },
  {
    name: 'payments',
    columns: [...REGISTER, t('receipt_id'), i('payment_no'), t('payment_type_id'), t('payment_type_name'), big('amount_minor')],
    primaryKey: ['customer_number', 'register_id', 'receipt_id', 'payment_no'],
  },
  {
    name: 'stock_postings',
    columns: [
      ...REGISTER,
      t('posting_id'),
      t('business_day'),
      t('posted_at'),
      t('article_id'),
      big('quantity_milli'),
      t('reason'),
      t('receipt_id', true),
      ...PROVENANCE,
    ],
    primaryKey: ['customer_number', 'register_id', 'posting_id'],
    indexes: [{ name: 'stock_postings_by_day', columns: ['customer_number', 'register_id', 'business_day'] }],
  },
  {
    name: 'time_records',
    columns: [...REGISTER, t('record_id'), t('business_day'), t('employee_id'), t('kind'), t('at'), ...PROVENANCE],
    primaryKey: ['customer_number', 'register_id', 'record_id'],
    indexes: [{ name: 'time_records_by_day', columns: ['customer_number', 'register_id', 'business_day'] }],
  },
  {
    // Records the register could not validate travel in the package's quarantine entry; kept here verbatim so they are never lost.
    name: 'quarantined_records',
    // exact_json: the quarantine row's `exact` originals (bytes, big integers) beside the stand-ins of record_json.
    columns: [
      ...REGISTER,
      t('business_day'),
      t('source_entry'),
      t('reason'),
      t('record_json'),
      ...PROVENANCE,
      { ...t('exact_json', true), since: 4 },
    ],
    primaryKey: ['customer_number', 'register_id', 'business_day', 'source_entry', 'content_sha256'],
  },
  {
    // An incoming record whose id is taken by a different record: reported, left out, never overwriting the stored one.
    name: 'conflicts',
    columns: [
      ...REGISTER,
      t('record_type'),
      t('record_id'),
      t('business_day'),
      t('existing_sha256'),
      t('incoming_sha256'),
      t('incoming_json'),
      t('source'),
      t('detected_at'),
    ],
    primaryKey: ['source', 'record_type', 'record_id'],
  },
  {
    // A register's earlier keys, kept when head office accepts a new one (replaced hardware): who signed what stays provable.
    name: 'retired_register_keys',
    columns: [
      ...REGISTER,
      t('public_key_id'),
      t('public_key_pem'),
      t('pinned_at'),
      t('pinned_by_package'),
      t('retired_at'),
      t('retired_by_package'),
    ],
    primaryKey: ['customer_number', 'register_id', 'public_key_id'],
  },
  {
    // Facts about head office itself, set once (its own customer number): an import must not depend on a flag being remembered.
    name: 'central_settings',
    columns: [t('name'), t('value'), t('set_at')],
    primaryKey: ['name'],
  },
  {
    // The security modules (TSE, KassenSichV) a package's closing names, in its order; a package without tseModules has no row.
    name: 'package_tse_modules',
    columns: [t('package_id'), i('position'), ...REGISTER, t('business_day'), t('serial_number'), t('public_key')],
    primaryKey: ['package_id', 'serial_number'],
    indexes: [{ name: 'package_tse_modules_by_day', columns: ['customer_number', 'register_id', 'business_day'] }],
  },
  {
    // Derived, kept by the receipt merge (migration 7): the console finds receipt-number gaps per day without reading every receipt.
    // numbers: distinct receipt numbers of the day, so the day has no gap inside exactly when numbers = last_no - first_no + 1.
    name: 'receipt_number_days',
    columns: [...REGISTER, t('business_day'), i('first_no'), i('last_no'), i('numbers')],
    primaryKey: ['customer_number', 'register_id', 'business_day'],
  },
];

export function tableDef(name: CentralTable): TableDef {
  const def = CENTRAL_TABLES.find((d) => d.name === name);
  if (!def) throw new Error(`unknown central table ${name}`);
  return def;
}

export type Dialect = 'sqlite' | 'postgres';

function columnSql(column: ColumnDef, dialect: Dialect): string {
  const type =
    column.type === 'text' ? 'TEXT' : column.type === 'int' ? 'INTEGER' : dialect === 'postgres' ? 'BIGINT' : 'INTEGER';
  return `${column.name} ${type}${column.nullable ? '' : ' NOT NULL'}`;
}

/** The table as the migration `version` created it: columns added by later migrations come with those. */
function createTableSql(def: TableDef, dialect: Dialect, version: number): string[] {
  const columns = def.columns.filter((c) => (c.since ?? 0) <= version);
  const body = [...columns.map((c) => columnSql(c, dialect)), `PRIMARY KEY (${def.primaryKey.join(', ')})`];
  return [
    `CREATE TABLE ${def.name} (\n  ${body.join(',\n  ')}\n)`,
    ...(def.indexes ?? []).map((ix) => `CREATE INDEX ${ix.name} ON ${def.name} (${ix.columns.join(', ')})`),
  ];
}

/** The indexes migration 7 adds, by name, for the test that checks both stores have them. */
export const CONSOLE_INDEXES = [
  'receipts_by_day_number',
  'packages_by_register_day',
  'packages_by_day',
  'packages_by_closing_number',
  'quarantined_by_day',
  'conflicts_by_register_day',
  'receipt_number_days_by_day',
] as const;

/**
 * Migration 7. IF NOT EXISTS throughout: a journal whose version rows were
 * wound back (as the upgrade test does) may already hold them. From here on
 * receipt_number_days is kept by the receipt merge (recountReceiptNumberDays),
 * once per package and day: a row trigger costs SQLite about three times the
 * receipt insert itself.
 */
function consoleIndexStatements(dialect: Dialect): string[] {
  const days = tableDef('receipt_number_days');
  return [
    // A superset of receipts_by_day (the day view's receipts of a day) that also serves receipt numbers within a day.
    'DROP INDEX IF EXISTS receipts_by_day',
    'CREATE INDEX IF NOT EXISTS receipts_by_day_number ON receipts (customer_number, register_id, business_day, receipt_no)',
    // Register spans, days present per register, the day view's packages: index-only with imported_at in it.
    'CREATE INDEX IF NOT EXISTS packages_by_register_day ON packages (customer_number, register_id, business_day, imported_at)',
    // The grid's range of days over all registers, status included.
    'CREATE INDEX IF NOT EXISTS packages_by_day ON packages (business_day, customer_number, register_id, status)',
    'CREATE INDEX IF NOT EXISTS packages_by_closing_number ON packages (customer_number, register_id, closing_number, business_day) WHERE closing_number IS NOT NULL',
    'CREATE INDEX IF NOT EXISTS quarantined_by_day ON quarantined_records (business_day, customer_number, register_id)',
    'CREATE INDEX IF NOT EXISTS conflicts_by_register_day ON conflicts (customer_number, register_id, business_day)',
    `CREATE TABLE IF NOT EXISTS ${createTableSql(days, dialect, 7)[0]!.slice('CREATE TABLE '.length)}`,
    ...RECOUNT_ALL_RECEIPT_NUMBER_DAYS,
  ];
}

/** receipt_number_days from every receipt: migration 7's fill, and a bulk loader's that wrote receipts itself. */
export const RECOUNT_ALL_RECEIPT_NUMBER_DAYS: readonly string[] = [
  'DELETE FROM receipt_number_days',
  `INSERT INTO receipt_number_days (customer_number, register_id, business_day, first_no, last_no, numbers)
   SELECT customer_number, register_id, business_day, MIN(receipt_no), MAX(receipt_no), COUNT(DISTINCT receipt_no)
     FROM receipts GROUP BY customer_number, register_id, business_day`,
];

export interface Migration {
  version: number;
  description: string;
  statements(dialect: Dialect): string[];
}

/** Append-only: a released migration is never edited, a change is a new version. */
export const CENTRAL_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'central journal: registers, packages, receipts, lines, payments, stock postings, time records, quarantine, conflicts',
    statements: (dialect) =>
      (
        [
          'registers',
          'packages',
          'receipts',
          'receipt_lines',
          'payments',
          'stock_postings',
          'time_records',
          'quarantined_records',
          'conflicts',
        ] as const
      ).flatMap((name) => createTableSql(tableDef(name), dialect, 1)),
  },
  {
    version: 2,
    description: 'retired_register_keys: earlier keys of registers whose new key head office accepted',
    statements: (dialect) => createTableSql(tableDef('retired_register_keys'), dialect, 2),
  },
  {
    version: 3,
    description: "central_settings: head office's own customer number, stored once and checked on every import",
    statements: (dialect) => createTableSql(tableDef('central_settings'), dialect, 3),
  },
  {
    version: 4,
    description: 'quarantined_records.exact_json: originals JSON cannot carry (bytes as base64, big integers as digits)',
    statements: () => ['ALTER TABLE quarantined_records ADD COLUMN exact_json TEXT'],
  },
  {
    version: 5,
    description: 'receipts.tse_*: the security module (TSE, KassenSichV) data of each receipt',
    statements: (dialect) =>
      RECEIPT_TSE_COLUMNS.map((c) => `ALTER TABLE receipts ADD COLUMN ${columnSql(c, dialect)}`),
  },
  {
    version: 6,
    description: "package_tse_modules: the security modules (serial and public key) each package's closing names",
    statements: (dialect) => createTableSql(tableDef('package_tse_modules'), dialect, 6),
  },
  {
    version: 7,
    description: 'console indexes (grid, gaps, day view) and receipt_number_days, kept by a trigger on receipts',
    statements: consoleIndexStatements,
  },
  {
    version: 8,
    // The grid marks a day reconciled (receipts, no package) from the range's rows of receipt_number_days.
    description: 'receipt_number_days_by_day: receipt days of a range over all registers, for the console grid',
    statements: () => ['CREATE INDEX IF NOT EXISTS receipt_number_days_by_day ON receipt_number_days (business_day, customer_number, register_id)'],
  },
];

export const CENTRAL_SCHEMA_VERSION = CENTRAL_MIGRATIONS[CENTRAL_MIGRATIONS.length - 1]!.version;
