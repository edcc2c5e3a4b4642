/**
 * What JSON.parse hides: a key written twice (parse keeps the last) and a
 * number written with a fraction or exponent (`1.0` parses to the integer
 * 1). The format forbids both, so the reader looks at the text itself. Only
 * called on text JSON.parse has accepted, so the scan can trust its syntax.
 */
export interface JsonTextFacts {
  /** Object members written in the text, at every depth. */
  keys: number;
  /** The top-level key under whose value the first number with `.`, `e` or `E` is written (outside `exempt`); null when there is none. */
  fractionUnder: string | null;
}

const QUOTE = 34;
const BACKSLASH = 92;

function isNumberChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 101 || c === 69;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** Index of the quote that ends the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let q = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    for (let b = q - 1; text.charCodeAt(b) === BACKSLASH; b--) backslashes++;
    if (backslashes % 2 === 0) return q;
    q = text.indexOf('"', q + 1);
  }
}

/** `exempt`: a top-level key whose value may hold any number (a quarantined `record`, kept as received). */
export function jsonTextFacts(text: string, exempt?: string): JsonTextFacts {
  let keys = 0;
  let depth = 0;
  let topKeyStart = -1;
  let topKeyEnd = -1;
  let fractionUnder: string | null = null;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      let j = end + 1;
      while (j < n && isSpace(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) === 58) {
        keys++;
        if (depth === 1) {
          topKeyStart = i;
          topKeyEnd = end + 1;
        }
      }
      i = end;
    } else if (c === 123 || c === 91) {
      depth++;
    } else if (c === 125 || c === 93) {
      depth--;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      let j = i;
      let fraction = false;
      while (j < n && isNumberChar(text.charCodeAt(j))) {
        const d = text.charCodeAt(j);
        if (d === 46 || d === 101 || d === 69) fraction = true;
        j++;
      }
      if (fraction && fractionUnder === null) {
        // The key is decoded only here, off the path of a well-formed row.
        const topKey = topKeyStart < 0 ? '' : (JSON.parse(text.slice(topKeyStart, topKeyEnd)) as string);
        if (topKey !== exempt || depth === 0) fractionUnder = topKey;
      }
      i = j - 1;
    }
  }
  return { keys, fractionUnder };
}

/** Members of every object in a parsed JSON value; below a text's `keys` when the text wrote a key twice. */
export function parsedKeyCount(value: unknown): number {
  if (Array.isArray(value)) {
    let n = 0;
    for (const v of value) n += parsedKeyCount(v);
    return n;
  }
  if (value !== null && typeof value === 'object') {
    let n = 0;
    for (const k in value) n += 1 + parsedKeyCount((value as Record<string, unknown>)[k]);
    return n;
  }
  return 0;
}
