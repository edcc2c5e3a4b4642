import type { ControlTotals } from './manifest.js';

interface VatTotal {
  vatRateId: string;
  bp: number;
  lines: number;
  grossMinor: number;
}

/**
 * Sums head office checks its import against. The writer feeds it the rows it
 * writes and the verifier the rows it reads back, so both sides compute the
 * totals with the very same code. Voided lines stay in the line entry but do
 * not count towards the VAT totals.
 */
export class ControlTotalsAccumulator {
  private receipts = 0;
  private firstReceiptId: string | null = null;
  private lastReceiptId: string | null = null;
  private grossMinor = 0;
  private readonly byPaymentType = new Map<string, { payments: number; amountMinor: number }>();
  /** By VAT rate id, then the (almost always single) basis points seen with it: no key string per line. */
  private readonly byVatRate = new Map<string, VatTotal[]>();

  addReceipt(receiptId: string, grossMinor: number): void {
    this.receipts++;
    if (this.firstReceiptId === null) this.firstReceiptId = receiptId;
    this.lastReceiptId = receiptId;
    this.grossMinor += grossMinor;
  }

  addLine(vatRateId: string, vatRateBasisPoints: number, grossMinor: number, voided: boolean): void {
    if (voided) return;
    let rates = this.byVatRate.get(vatRateId);
    if (!rates) {
      rates = [];
      this.byVatRate.set(vatRateId, rates);
    }
    let t = rates.find((r) => r.bp === vatRateBasisPoints);
    if (!t) {
      t = { vatRateId, bp: vatRateBasisPoints, lines: 0, grossMinor: 0 };
      rates.push(t);
    }
    t.lines++;
    t.grossMinor += grossMinor;
  }

  addPayment(paymentTypeId: string, amountMinor: number): void {
    let t = this.byPaymentType.get(paymentTypeId);
    if (!t) {
      t = { payments: 0, amountMinor: 0 };
      this.byPaymentType.set(paymentTypeId, t);
    }
    t.payments++;
    t.amountMinor += amountMinor;
  }

  /** Throws when a sum left the range where a double holds integers exactly. */
  result(): ControlTotals {
    const byPaymentType = [...this.byPaymentType.entries()]
      .map(([paymentTypeId, t]) => ({ paymentTypeId, payments: t.payments, amountMinor: t.amountMinor }))
      .sort((a, b) => compareText(a.paymentTypeId, b.paymentTypeId));
    const byVatRate = [...this.byVatRate.values()]
      .flat()
      .map((t) => ({ vatRateId: t.vatRateId, vatRateBasisPoints: t.bp, lines: t.lines, grossMinor: t.grossMinor }))
      .sort((a, b) => compareText(a.vatRateId, b.vatRateId) || a.vatRateBasisPoints - b.vatRateBasisPoints);
    const sums = [this.grossMinor, ...byPaymentType.map((t) => t.amountMinor), ...byVatRate.map((t) => t.grossMinor)];
    if (!sums.every(Number.isSafeInteger)) {
      throw new RangeError('a control total exceeds the exactly representable integer range');
    }
    return {
      receipts: this.receipts,
      firstReceiptId: this.firstReceiptId,
      lastReceiptId: this.lastReceiptId,
      grossMinor: this.grossMinor,
      byPaymentType,
      byVatRate,
    };
  }
}

/** Code-unit order, independent of the locale, so both sides sort alike. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
