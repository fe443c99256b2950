/**
 * Kubernetes quantities as exact fractions, so run-time validation compares a request with
 * its limit exactly as the API server does (resource.Quantity is exact too): `0.1` and
 * `100m` are equal, `1Ki` is 1024, `1e3` is 1000. No floating point anywhere.
 */

/** The grammar of resource.Quantity without a sign (resources cannot be negative). */
export const QUANTITY =
  /^\+?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?[0-9]+))?$/;

export interface Fraction {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

const DECIMAL: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  "": 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY: Readonly<Record<string, number>> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };

function scaled(mantissa: Fraction, exponent10: number, power1024: number): Fraction {
  const ten = 10n ** BigInt(Math.abs(exponent10));
  const binary = 1024n ** BigInt(power1024);
  return exponent10 >= 0
    ? { numerator: mantissa.numerator * ten * binary, denominator: mantissa.denominator }
    : { numerator: mantissa.numerator * binary, denominator: mantissa.denominator * ten };
}

function parseString(value: string): Fraction | undefined {
  const match = /^\+?([0-9]*)(?:\.([0-9]*))?(.*)$/.exec(value);
  if (!QUANTITY.test(value) || !match) return undefined;
  const [, whole = "", decimals = "", suffix = ""] = match;
  const mantissa = {
    numerator: BigInt(`${whole}${decimals}` || "0"),
    denominator: 10n ** BigInt(decimals.length),
  };
  const binary = BINARY[suffix];
  if (binary !== undefined) return scaled(mantissa, 0, binary);
  const decimal = DECIMAL[suffix];
  if (decimal !== undefined) return scaled(mantissa, decimal, 0);
  const exponent = Number(suffix.slice(1));
  // The API server refuses exponents this large too (the value would not fit).
  return Math.abs(exponent) > 64 ? undefined : scaled(mantissa, exponent, 0);
}

/** The exact value of a quantity (a number or a string of the grammar), or undefined. */
export function parseQuantity(value: number | string): Fraction | undefined {
  if (typeof value === "string") return parseString(value);
  return Number.isSafeInteger(value) && value >= 0
    ? { numerator: BigInt(value), denominator: 1n }
    : undefined;
}

/** Negative, zero or positive as a is below, equal to or above b. */
export function compareQuantities(a: Fraction, b: Fraction): number {
  const left = a.numerator * b.denominator;
  const right = b.numerator * a.denominator;
  return left < right ? -1 : left > right ? 1 : 0;
}

export function isWholeNumber(q: Fraction): boolean {
  return q.numerator % q.denominator === 0n;
}
