import { paymentRowJson, receiptLineRowJson, receiptRowJson, stockPostingRowJson, timeRecordRowJson } from '../src/export/row-json.js';

/**
 * The writer builds NDJSON lines from templates for speed; the package's
 * hashes depend on them being byte for byte JSON.stringify of the row object
 * in spec order, escapes and edge numbers included.
 */
const TRICKY = ['plain', 'quote " and \\ backslash', 'tab\tnewline\n', 'ctrl \u0001\u001f', 'lone \ud800 surrogate', 'Grüße € 😀', ''];
const NUMBERS = [0, -0, 1, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1999];

describe('row templates equal JSON.stringify of the row object', () => {
  test.each(TRICKY.flatMap((text) => NUMBERS.map((n) => [text, n] as const)))('text %j, number %d', (text, n) => {
    const receiptId = `R-${text}`;
    const idJson = JSON.stringify(receiptId);
    const line = {
      lineNo: 1,
      articleId: `A${text}`,
      description: text,
      quantityMilli: n,
      unitPriceMinor: n,
      grossMinor: n,
      vatRateId: `V${text}`,
      vatRateBasisPoints: 1900,
      voided: n === 0,
    };
    const payment = { paymentNo: 2, paymentTypeId: `P${text}`, paymentTypeName: text, amountMinor: n };
    const receipt = {
      receiptId,
      receiptNo: 7,
      businessDay: '20260105',
      openedAt: '2026-01-05T08:00:00.000+01:00',
      closedAt: '2026-01-05T08:01:00.000+01:00',
      cashierId: `C${text}`,
      kind: 'sale' as const,
      currency: 'EUR',
      grossMinor: n,
      lines: [line, line],
      payments: [payment],
    };
    expect(receiptRowJson(receipt, idJson)).toBe(
      JSON.stringify({
        receiptId,
        receiptNo: 7,
        businessDay: receipt.businessDay,
        openedAt: receipt.openedAt,
        closedAt: receipt.closedAt,
        cashierId: receipt.cashierId,
        kind: 'sale',
        currency: 'EUR',
        grossMinor: n,
        lineCount: 2,
        paymentCount: 1,
      }),
    );
    expect(receiptLineRowJson(idJson, line)).toBe(JSON.stringify({ receiptId, ...line }));
    expect(paymentRowJson(idJson, payment)).toBe(JSON.stringify({ receiptId, ...payment }));
    for (const linked of [receiptId, null]) {
      const posting = {
        postingId: `S${text}`,
        businessDay: '20260105',
        postedAt: '2026-01-05T08:01:00.000Z',
        articleId: `A${text}`,
        quantityMilli: n,
        reason: 'sale' as const,
        receiptId: linked,
      };
      expect(stockPostingRowJson(posting)).toBe(JSON.stringify(posting));
    }
    const time = {
      recordId: `T${text}`,
      businessDay: '20260105',
      employeeId: `E${text}`,
      kind: 'clock-in' as const,
      at: '2026-01-05T07:00:00.000Z',
    };
    expect(timeRecordRowJson(time)).toBe(JSON.stringify(time));
  });
});
