import type { Payment, Receipt, ReceiptLine, StockPosting, TimeRecord } from '../host/records.js';

/**
 * The canonical NDJSON line of each package row (field order of
 * docs/stick-format.md), built as one template instead of an object literal
 * handed to JSON.stringify: a third of the cost on the writer's hot loop.
 * Only for records that passed their checks, which is what makes the
 * template exact: numbers are safe integers (their decimal text is what
 * JSON.stringify prints), booleans print as JSON does, instants and business
 * days are pattern-checked ASCII without quotes or backslashes, and every
 * other string goes through JSON.stringify. The result is byte for byte
 * JSON.stringify of the row object with its fields in spec order.
 */

/** `receiptIdJson` is JSON.stringify(receiptId), computed once per receipt for its lines and payments. */
export function receiptRowJson(r: Receipt, receiptIdJson: string): string {
  return `{"receiptId":${receiptIdJson},"receiptNo":${r.receiptNo},"businessDay":"${r.businessDay}","openedAt":"${r.openedAt}","closedAt":"${r.closedAt}","cashierId":${JSON.stringify(r.cashierId)},"kind":"${r.kind}","currency":${JSON.stringify(r.currency)},"grossMinor":${r.grossMinor},"lineCount":${r.lines.length},"paymentCount":${r.payments.length}}`;
}

export function receiptLineRowJson(receiptIdJson: string, l: ReceiptLine): string {
  return `{"receiptId":${receiptIdJson},"lineNo":${l.lineNo},"articleId":${JSON.stringify(l.articleId)},"description":${JSON.stringify(l.description)},"quantityMilli":${l.quantityMilli},"unitPriceMinor":${l.unitPriceMinor},"grossMinor":${l.grossMinor},"vatRateId":${JSON.stringify(l.vatRateId)},"vatRateBasisPoints":${l.vatRateBasisPoints},"voided":${l.voided}}`;
}

export function paymentRowJson(receiptIdJson: string, p: Payment): string {
  return `{"receiptId":${receiptIdJson},"paymentNo":${p.paymentNo},"paymentTypeId":${JSON.stringify(p.paymentTypeId)},"paymentTypeName":${JSON.stringify(p.paymentTypeName)},"amountMinor":${p.amountMinor}}`;
}

export function stockPostingRowJson(s: StockPosting): string {
  return `{"postingId":${JSON.stringify(s.postingId)},"businessDay":"${s.businessDay}","postedAt":"${s.postedAt}","articleId":${JSON.stringify(s.articleId)},"quantityMilli":${s.quantityMilli},"reason":"${s.reason}","receiptId":${JSON.stringify(s.receiptId)}}`;
}

export function timeRecordRowJson(t: TimeRecord): string {
  return `{"recordId":${JSON.stringify(t.recordId)},"businessDay":"${t.businessDay}","employeeId":${JSON.stringify(t.employeeId)},"kind":"${t.kind}","at":"${t.at}"}`;
}
