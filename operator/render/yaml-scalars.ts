/**
 * The only ways a value reaches a rendered manifest. Templates are YAML, not HTML, so
 * handlebars' HTML escaping is off; instead every value goes through one of these, which
 * always produce a single YAML flow scalar or flow collection. Whatever a string holds
 * (quotes, newlines, `: `, `---`, `{{`, control characters), it cannot end the scalar,
 * add a key, an object or a line.
 */

// Characters written as they are inside a double-quoted scalar: printable ASCII except
// the two that double-quoting gives meaning to, and printable non-ASCII outside the
// ranges YAML 1.1 parsers treat as line breaks, byte-order marks or non-characters.
function isPlain(codePoint: number): boolean {
  if (codePoint >= 0x20 && codePoint <= 0x7e) return codePoint !== 0x22 && codePoint !== 0x5c;
  if (codePoint >= 0xa0 && codePoint <= 0xd7ff) return codePoint !== 0x2028 && codePoint !== 0x2029;
  if (codePoint >= 0xe000 && codePoint <= 0xfffd) return codePoint !== 0xfeff;
  return codePoint >= 0x10000 && codePoint <= 0x10ffff;
}

function escape(codePoint: number): string {
  switch (codePoint) {
    case 0x22:
      return '\\"';
    case 0x5c:
      return "\\\\";
    case 0x0a:
      return "\\n";
    case 0x09:
      return "\\t";
    default:
      return `\\u${codePoint.toString(16).padStart(4, "0")}`;
  }
}

// Printable ASCII without `"` and `\\`: written as it is, so most strings skip the loop.
const ALL_PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A string as a YAML double-quoted scalar. */
export function quoteString(value: string): string {
  if (ALL_PLAIN.test(value)) return `"${value}"`;
  let out = '"';
  // for..of walks code points; a lone surrogate comes out alone and is escaped.
  for (const char of value) {
    const codePoint = char.codePointAt(0) ?? 0;
    out += isPlain(codePoint) ? char : escape(codePoint);
  }
  return `${out}"`;
}

/**
 * Any JSON value as YAML flow style. JSON's own syntax is valid YAML 1.2 flow; strings
 * are re-quoted by quoteString so no character can escape its scalar.
 */
export function flowValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return quoteString(value);
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`cannot render the number ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(flowValue).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${quoteString(k)}: ${flowValue(v)}`).join(", ")}}`;
  }
  throw new TypeError(`cannot render a value of type ${typeof value}`);
}
