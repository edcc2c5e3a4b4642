import { z } from 'zod';

/**
 * The `exact` originals of a quarantined record (docs/stick-format.md,
 * section 5, quarantine.ndjson): where JSON cannot carry a journal value
 * exactly, `record` holds a stand-in and one of these holds the original.
 */
const Path = z.array(z.union([z.string(), z.number().int().min(0)]));

export const ExactValueSchema = z.discriminatedUnion('kind', [
  z.strictObject({ path: Path, kind: z.literal('bytes'), base64: z.base64() }),
  z.strictObject({ path: Path, kind: z.literal('integer'), digits: z.string().regex(/^-?[0-9]+$/) }),
  z.strictObject({ path: Path, kind: z.literal('not-json'), text: z.string() }),
]);

export type ExactValue = z.infer<typeof ExactValueSchema>;

const lossyUtf8 = new TextDecoder('utf-8');

/**
 * Why `exact` does not describe `record`, or null: every path must lead to
 * the stand-in its kind prescribes, so a reader can restore the original
 * without guessing and no stand-in is mistaken for the journal's value.
 */
export function exactProblem(record: unknown, exact: readonly ExactValue[]): string | null {
  for (const e of exact) {
    let at: unknown = record;
    for (const step of e.path) {
      const ok =
        typeof step === 'number'
          ? Array.isArray(at) && step < at.length
          : typeof at === 'object' && at !== null && !Array.isArray(at) && Object.hasOwn(at, step);
      if (!ok) return `exact path ${JSON.stringify(e.path)} does not lead into the record`;
      at = (at as Record<string | number, unknown>)[step];
    }
    const expected =
      e.kind === 'bytes' ? lossyUtf8.decode(Buffer.from(e.base64, 'base64')) : e.kind === 'integer' ? e.digits : null;
    if (at !== expected)
      return `exact ${e.kind} at ${JSON.stringify(e.path)} does not match its stand-in in the record`;
  }
  return null;
}
