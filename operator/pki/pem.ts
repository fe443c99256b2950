/**
 * A strict, linear PEM reader for user-supplied CA Secrets.
 *
 * Strict where it matters: a BEGIN without its END (a truncated file) is an error rather
 * than silently dropped, and block bodies must be clean base64. Lenient where tools
 * differ: text between blocks (openssl's "-text" output, comments) is ignored, as Go's
 * pem.Decode, which istiod uses, ignores it. Line by line, so hostile input of any shape
 * costs one pass. Problems name block numbers, never contents.
 */

export interface PemBlock {
  label: string;
  der: Buffer;
  /** RFC 1421 headers (e.g. "Proc-Type: 4,ENCRYPTED" of a legacy encrypted key). */
  hasHeaders: boolean;
}

export type PemResult = { ok: true; blocks: PemBlock[] } | { ok: false; problem: string };

const BEGIN = /^-----BEGIN ([A-Z0-9 ]{1,64})-----$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

interface OpenBlock {
  label: string;
  body: string[];
  hasHeaders: boolean;
}

function closeBlock(open: OpenBlock, number: number): PemBlock | string {
  const body = open.body.join("");
  if (body.length === 0 || body.length % 4 !== 0 || !BASE64.test(body)) {
    return `PEM block ${number} (${open.label}) does not hold valid base64`;
  }
  return { label: open.label, der: Buffer.from(body, "base64"), hasHeaders: open.hasHeaders };
}

function addBodyLine(open: OpenBlock, line: string): void {
  // Headers come before the body; the only PEM files that carry them are encrypted keys.
  if (line.includes(":")) open.hasHeaders = true;
  else if (line.length > 0) open.body.push(line);
}

export function decodePem(text: string): PemResult {
  const blocks: PemBlock[] = [];
  let open: OpenBlock | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const number = blocks.length + 1;
    if (!open) {
      const begin = BEGIN.exec(line);
      if (begin) open = { label: begin[1] ?? "", body: [], hasHeaders: false };
      else if (line.includes("-----BEGIN")) return { ok: false, problem: "malformed BEGIN line" };
      continue;
    }
    if (!line.startsWith("-----")) {
      addBodyLine(open, line);
      continue;
    }
    if (line !== `-----END ${open.label}-----`) {
      return { ok: false, problem: `PEM block ${number} (${open.label}) has no matching END line` };
    }
    const block = closeBlock(open, number);
    if (typeof block === "string") return { ok: false, problem: block };
    blocks.push(block);
    open = undefined;
  }
  if (open) {
    const problem = `PEM block ${blocks.length + 1} (${open.label}) has no END line: truncated?`;
    return { ok: false, problem };
  }
  if (blocks.length === 0) return { ok: false, problem: "no PEM block found" };
  return { ok: true, blocks };
}
