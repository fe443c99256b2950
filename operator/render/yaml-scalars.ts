/**
 * The only ways a value reaches a rendered manifest. Templates are YAML, not HTML, so
 * handlebars' HTML escaping is off; instead every value goes through one of these, which
 * always produce a single YAML flow scalar or flow collection. Whatever a string holds
 * (quotes, newlines, `: `, `---`, `{{`, control characters), it cannot end the scalar,
 * add a key, an object or a line.
 */

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

// Characters written as they are inside a double-quoted scalar: printable ASCII except
// the two that double-quoting gives meaning to, and printable non-ASCII outside the
// ranges YAML 1.1 parsers treat as line breaks, byte-order marks or non-characters. This
// matches everything else: `"`, `\\`, C0 and C1 controls, DEL, the line and paragraph
// separators, the byte-order mark, U+FFFE/U+FFFF and (with the u flag, which reads a
// surrogate pair as one code point) lone surrogates. Replacing only the matches
// keeps a long string that is mostly plain (the injector's templates, 40 KB of them, with
// a line feed every few dozen characters) from being rebuilt one character at a time.
// eslint-disable-next-line no-control-regex
const NOT_PLAIN = /["\\\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udfff]/u;
const NOT_PLAIN_ALL = new RegExp(NOT_PLAIN.source, "gu");

const escapeMatch = (char: string) => escape(char.codePointAt(0) ?? 0);

/** A string as a YAML double-quoted scalar. */
export function quoteString(value: string): string {
  if (!NOT_PLAIN.test(value)) return `"${value}"`;
  return `"${value.replace(NOT_PLAIN_ALL, escapeMatch)}"`;
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
  if (Array.isArray(value)) return flowSequence(value);
  if (typeof value === "object") return flowMapping(value as Record<string, unknown>);
  throw new TypeError(`cannot render a value of type ${typeof value}`);
}

// Loops rather than map/filter/join: every label set and argument list of every render
// passes here, and the intermediate arrays were a measurable share of its garbage.
function flowSequence(items: readonly unknown[]): string {
  let out = "[";
  for (let i = 0; i < items.length; i += 1) out += `${i > 0 ? ", " : ""}${flowValue(items[i])}`;
  return `${out}]`;
}

function flowMapping(record: Record<string, unknown>): string {
  let out = "{";
  for (const key of Object.keys(record)) {
    const item = record[key];
    if (item === undefined) continue;
    out += `${out.length > 1 ? ", " : ""}${quoteString(key)}: ${flowValue(item)}`;
  }
  return `${out}}`;
}
