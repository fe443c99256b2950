/**
 * Fuzzing the bring-your-own CA path: whatever a user (or an attacker with write access to
 * one Secret) puts in any key, validation returns a clean failure, never throws, and never
 * echoes the value back into a message (messages end up in status, Events and logs).
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { CaBundle } from "../../../operator/pki/generate.ts";
import { decodePem } from "../../../operator/pki/pem.ts";
import { CACERTS_KEYS, type CacertsKey } from "../../../operator/pki/secret-layout.ts";
import { validateCaSecret } from "../../../operator/pki/validate-ca-secret.ts";
import { DAY, secretData, testCa } from "../../fixtures/pki/test-ca.ts";

const REASONS = [
  "MissingKey",
  "TooLarge",
  "InvalidPEM",
  "KeyMismatch",
  "NotACA",
  "ChainInvalid",
  "NotYetValid",
  "Expired",
  "ExpiringSoon",
];

let good: CaBundle;
beforeAll(async () => {
  good = await testCa();
});

const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** The DER inside a Secret value, to tell a real change from a no-op edit. */
function der(encoded: string): string {
  const pem = decodePem(Buffer.from(encoded, "base64").toString("latin1"));
  return pem.ok ? pem.blocks.map((block) => block.der.toString("hex")).join(",") : "";
}

const pemBlock = (label: string, body: string) =>
  `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;

/** Decoded values of many shapes: text, binary, PEM-looking, and broken real PEMs. */
function hostileText(key: CacertsKey): fc.Arbitrary<string> {
  const base64 = fc
    .uint8Array({ minLength: 1, maxLength: 2048 })
    .map((bytes) => Buffer.from(bytes).toString("base64"));
  const label = fc.constantFrom("CERTIFICATE", "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY");
  return fc.oneof(
    fc.string({ maxLength: 512 }),
    fc.uint8Array({ maxLength: 4096 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
    fc.tuple(label, base64).map(([l, body]) => pemBlock(l, body)),
    fc.tuple(label, base64).map(([l, body]) => `-----BEGIN ${l}-----\n${body}\n`),
    fc.tuple(fc.nat(), fc.nat({ max: 255 })).map(([at, byte]) => {
      // This key's real PEM with one character replaced or the text cut short.
      const pem = good.cacerts[key];
      const index = 30 + (at % (pem.length - 60));
      const replacement = BASE64_ALPHABET.charAt(byte % 64);
      return byte % 2 === 0
        ? pem.slice(0, index)
        : pem.slice(0, index) + replacement + pem.slice(index + 1);
    }),
  );
}

/** What a message must never contain: the value as given, its base64, its PEM body lines. */
function materialOf(value: string, encoded: string): string[] {
  const lines = value.split("\n").map((line) => line.trim());
  return [
    value,
    encoded,
    ...lines.filter((line) => line.length >= 16 && !line.startsWith("-----")),
  ].filter((candidate) => candidate.length >= 16);
}

describe("validateCaSecret on hostile input", () => {
  it("never throws, and answers with a known reason and a message quoting none of the input", () => {
    fc.assert(
      fc.property(
        fc
          .constantFrom(...CACERTS_KEYS)
          .chain((key) => fc.tuple(fc.constant(key), hostileText(key))),
        fc.boolean(),
        ([key, value], raw) => {
          const data = secretData(good.cacerts);
          // raw: the value as the Secret's data itself (not base64): an API-level surprise.
          const encoded = raw ? value : Buffer.from(value, "latin1").toString("base64");
          data[key] = encoded;
          const result = validateCaSecret(data, new Date(), 30 * DAY);
          if (result.ok) {
            // Only an edit that changes no DER byte (the same character, unused base64
            // padding bits) may leave the CA valid.
            expect(der(encoded)).toBe(der(secretData(good.cacerts)[key] ?? ""));
            return;
          }
          expect(REASONS).toContain(result.reason);
          expect(result.message.length).toBeLessThan(300);
          for (const material of [
            ...materialOf(value, encoded),
            ...materialOf(good.cacerts["ca-key.pem"], ""),
          ]) {
            expect(result.message).not.toContain(material);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rejects random bytes in any key", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CACERTS_KEYS),
        fc.uint8Array({ minLength: 1, maxLength: 4096 }),
        (key, bytes) => {
          const data = {
            ...secretData(good.cacerts),
            [key]: Buffer.from(bytes).toString("base64"),
          };
          const result = validateCaSecret(data, new Date(), 30 * DAY);
          expect(result.ok).toBe(false);
        },
      ),
    );
  });
});
