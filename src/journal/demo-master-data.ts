/** Master data of the demo register: a small bakery café. */
export const DEMO_VAT_RATES = [
  { vatRateId: 'V19', name: 'Standard 19 %', basisPoints: 1900 },
  { vatRateId: 'V07', name: 'Reduced 7 %', basisPoints: 700 },
] as const;

export const DEMO_PAYMENT_TYPES = [
  { paymentTypeId: 'CASH', name: 'Cash' },
  { paymentTypeId: 'CARD', name: 'Card' },
  { paymentTypeId: 'VOUCHER', name: 'Voucher' },
] as const;

export interface DemoArticle {
  articleId: string;
  name: string;
  /** Per piece, or per kilogram when sold by weight. */
  unitPriceMinor: number;
  vatRateId: 'V19' | 'V07';
  soldByWeight: boolean;
}

export const DEMO_ARTICLES: readonly DemoArticle[] = [
  { articleId: 'A1001', name: 'Bread roll', unitPriceMinor: 45, vatRateId: 'V07', soldByWeight: false },
  { articleId: 'A1002', name: 'Rye bread 1 kg', unitPriceMinor: 420, vatRateId: 'V07', soldByWeight: false },
  { articleId: 'A1003', name: 'Pretzel', unitPriceMinor: 85, vatRateId: 'V07', soldByWeight: false },
  { articleId: 'A1004', name: 'Apple cake slice', unitPriceMinor: 290, vatRateId: 'V07', soldByWeight: false },
  { articleId: 'A1005', name: 'Cookies (per kg)', unitPriceMinor: 2490, vatRateId: 'V07', soldByWeight: true },
  { articleId: 'A2001', name: 'Coffee to go', unitPriceMinor: 280, vatRateId: 'V19', soldByWeight: false },
  { articleId: 'A2002', name: 'Cappuccino', unitPriceMinor: 340, vatRateId: 'V19', soldByWeight: false },
  { articleId: 'A2003', name: 'Orange juice 0.3 l', unitPriceMinor: 310, vatRateId: 'V19', soldByWeight: false },
  { articleId: 'A2004', name: 'Mineral water 0.5 l', unitPriceMinor: 190, vatRateId: 'V19', soldByWeight: false },
  { articleId: 'A3001', name: 'Coffee beans (per kg)', unitPriceMinor: 1990, vatRateId: 'V07', soldByWeight: true },
  { articleId: 'A3002', name: 'Gift mug', unitPriceMinor: 990, vatRateId: 'V19', soldByWeight: false },
];

export const DEMO_EMPLOYEES = [
  { employeeId: 'E01', name: 'Anna Becker' },
  { employeeId: 'E02', name: 'Jonas Weber' },
  { employeeId: 'E03', name: 'Leyla Demir' },
  { employeeId: 'E04', name: 'Piotr Nowak' },
] as const;
