import type { CentralQueries } from './central-store.js';

/** What the central journal holds of one register's day: the figures reconciliation and tests compare. */
export interface CentralDaySummary {
  receipts: number;
  grossMinor: number;
  receiptLines: number;
  payments: number;
  paymentsMinor: number;
  stockPostings: number;
  timeRecords: number;
}

export async function centralDaySummary(
  q: CentralQueries,
  customerNumber: string,
  registerId: string,
  businessDay: string,
): Promise<CentralDaySummary> {
  const key = [customerNumber, registerId, businessDay];
  const one = async (sql: string): Promise<number> => {
    const rows = await q.all<{ n: number | string | null }>(sql, key);
    return Number(rows[0]?.n ?? 0);
  };
  const inDay = 'customer_number = ? AND register_id = ? AND business_day = ?';
  const ofReceiptsOfDay = (table: string) =>
    `FROM ${table} x JOIN receipts r ON r.customer_number = x.customer_number AND r.register_id = x.register_id
     AND r.receipt_id = x.receipt_id WHERE r.customer_number = ? AND r.register_id = ? AND r.business_day = ?`;
  return {
    receipts: await one(`SELECT COUNT(*) AS n FROM receipts WHERE ${inDay}`),
    grossMinor: await one(`SELECT COALESCE(SUM(gross_minor), 0) AS n FROM receipts WHERE ${inDay}`),
    receiptLines: await one(`SELECT COUNT(*) AS n ${ofReceiptsOfDay('receipt_lines')}`),
    payments: await one(`SELECT COUNT(*) AS n ${ofReceiptsOfDay('payments')}`),
    paymentsMinor: await one(`SELECT COALESCE(SUM(x.amount_minor), 0) AS n ${ofReceiptsOfDay('payments')}`),
    stockPostings: await one(`SELECT COUNT(*) AS n FROM stock_postings WHERE ${inDay}`),
    timeRecords: await one(`SELECT COUNT(*) AS n FROM time_records WHERE ${inDay}`),
  };
}
