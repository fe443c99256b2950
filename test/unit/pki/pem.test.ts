import { describe, expect, it } from "vitest";
import { decodePem } from "../../../operator/pki/pem.ts";

const block = (label: string, body = "AAEC") =>
  `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;

describe("decodePem", () => {
  it("reads blocks in order, ignoring text between them and CRLF line ends", () => {
    const text = `Certificate:\n  Data: ...\n${block("CERTIFICATE")}comment\r\n${block("CERTIFICATE", "AQID")}`;
    const result = decodePem(text.replace(/\n/g, "\r\n"));
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(result.blocks.map((b) => [b.label, [...b.der]])).toEqual([
      ["CERTIFICATE", [0, 1, 2]],
      ["CERTIFICATE", [1, 2, 3]],
    ]);
  });

  it("flags RFC 1421 headers (legacy encrypted keys)", () => {
    const result = decodePem(
      block("RSA PRIVATE KEY", "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAEC"),
    );
    expect(result).toMatchObject({ ok: true, blocks: [{ hasHeaders: true }] });
  });

  it.each([
    ["", /no PEM block/],
    ["just text", /no PEM block/],
    ["-----BEGIN CERTIFICATE-----\nAAEC\n", /block 1 .* no END line: truncated/],
    [`${block("CERTIFICATE")}-----BEGIN CERTIFICATE-----\nAA`, /block 2 .* no END line/],
    ["-----BEGIN CERTIFICATE-----\nAAEC\n-----END PRIVATE KEY-----\n", /no matching END/],
    [block("CERTIFICATE", "A"), /not hold valid base64/],
    [block("CERTIFICATE", "AA*C"), /not hold valid base64/],
    [block("CERTIFICATE", ""), /not hold valid base64/],
    ["-----BEGIN lower-----\nAAEC\n-----END lower-----\n", /malformed BEGIN/],
  ])("rejects %j", (text, problem) => {
    const result = decodePem(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toMatch(problem);
  });
});
