/**
 * Go-style durations ("87600h", "1h30m", "90s") as milliseconds: the spec writes validities
 * the way istiod and cert-manager do, and the CA works in milliseconds.
 *
 * Accepts exactly what the API schema's regex accepts (certificate-authority.ts): one or
 * more <number><unit> terms, unit h, m, s or ms, an optional decimal fraction. Everything
 * Go also takes but the schema does not (signs, "0" without a unit, us/ns) is an error, so
 * a value that passed validation always parses and nothing else does.
 */

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

// "ms" before "m" and "s" so the alternation takes the longer unit.
const TERM = /([0-9]+(?:\.[0-9]+)?)(ms|h|m|s)/gy;

export function parseDuration(text: string): number {
  if (text.length === 0 || text.length > 32) {
    throw new Error(`invalid duration "${text.slice(0, 32)}": expected e.g. 8760h, 1h30m, 90s`);
  }
  let total = 0;
  let consumed = 0;
  // Sticky: each term must start where the previous ended, so junk between terms stops it.
  for (const match of text.matchAll(TERM)) {
    const [whole, amount = "", unit = ""] = match;
    total += Number(amount) * (UNIT_MS[unit] ?? Number.NaN);
    consumed += whole.length;
  }
  if (consumed !== text.length || !Number.isSafeInteger(Math.round(total))) {
    throw new Error(`invalid duration "${text}": expected e.g. 8760h, 1h30m, 90s`);
  }
  return Math.round(total);
}
