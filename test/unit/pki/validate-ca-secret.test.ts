import { createPrivateKey, randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { caBundleHash } from "../../../operator/pki/bundle-hash.ts";
import type { CaBundle } from "../../../operator/pki/generate.ts";
import type { CaSecretValidation } from "../../../operator/pki/ca-secret-result.ts";
import { validateCaSecret } from "../../../operator/pki/validate-ca-secret.ts";
import { pkiChecker } from "../../fixtures/pki/pki-check.ts";
import {
  DAY,
  issueSubordinateCa,
  issueWorkloadLeaf,
  secretData,
  testCa,
  withFiles,
} from "../../fixtures/pki/test-ca.ts";
import { scratchDir } from "../../scratch.ts";

const RENEW_BEFORE = 30 * DAY;

let good: CaBundle;
let other: CaBundle;

beforeAll(async () => {
  [good, other] = await Promise.all([testCa(), testCa()]);
});

/** The key material of the good bundle: no message may ever quote any of it. */
function secretsOf(bundle: CaBundle): string[] {
  const key = bundle.cacerts["ca-key.pem"];
  const bodyLines = key.split("\n").filter((line) => line.length > 0 && !line.startsWith("---"));
  return [key, Buffer.from(key).toString("base64"), ...bodyLines];
}

function expectFailure(result: CaSecretValidation, reason: string, message?: RegExp) {
  expect(result).toMatchObject({ ok: false, reason });
  if (result.ok) return;
  if (message) expect(result.message).toMatch(message);
  for (const secret of secretsOf(good)) expect(result.message).not.toContain(secret);
}

function validate(data: Record<string, string>, now = new Date()) {
  return validateCaSecret(data, now, RENEW_BEFORE);
}

describe("validateCaSecret accepts", () => {
  it("a generated bundle, with its expiry dates and the same hash generateCa's caller computes", () => {
    const result = validate(secretData(good.cacerts));
    expect(result).toEqual({
      ok: true,
      summary: {
        intermediateNotAfter: good.intermediateNotAfter,
        rootNotAfter: good.rootNotAfter,
        hash: caBundleHash(good.cacerts),
      },
    });
  });

  it("a CA made elsewhere, as users make one (Go's x509: SEC1 keys, root without pathlen)", async () => {
    const byo = (await pkiChecker()).makeCa(scratchDir("pki-byo"));
    const result = validate(secretData(byo));
    expect(result.ok).toBe(true);
  });

  it("a root used directly as the signing CA (no intermediate)", () => {
    const root = good.cacerts["root-cert.pem"];
    const data = secretData({
      "ca-cert.pem": root,
      "ca-key.pem": good.rootKey,
      "root-cert.pem": root,
      "cert-chain.pem": root,
    });
    expect(validate(data)).toMatchObject({
      ok: true,
      summary: { rootNotAfter: good.rootNotAfter },
    });
  });

  it("a root-cert.pem that holds more than one root (during a root migration)", () => {
    const roots = other.cacerts["root-cert.pem"] + good.cacerts["root-cert.pem"];
    expect(validate(withFiles(good.cacerts, { "root-cert.pem": roots })).ok).toBe(true);
  });
});

describe("validateCaSecret rejects", () => {
  it("a missing or empty key with MissingKey, naming every missing key", () => {
    const data = secretData(good.cacerts);
    delete data["cert-chain.pem"];
    data["ca-key.pem"] = "";
    expectFailure(validate(data), "MissingKey", /ca-key\.pem, cert-chain\.pem/);
  });

  it("a value over 64 KiB with TooLarge, before parsing it", () => {
    const huge = "A".repeat(100_000);
    expectFailure(validate({ ...secretData(good.cacerts), "ca-cert.pem": huge }), "TooLarge");
    const padded = `${good.cacerts["ca-cert.pem"]}\n${"#".repeat(70_000)}\n`;
    expectFailure(validate(withFiles(good.cacerts, { "ca-cert.pem": padded })), "TooLarge");
  });

  it("a truncated PEM with InvalidPEM", () => {
    const pem = good.cacerts["ca-cert.pem"];
    const truncated = pem.slice(0, pem.length / 2);
    expectFailure(
      validate(withFiles(good.cacerts, { "ca-cert.pem": truncated })),
      "InvalidPEM",
      /truncated/,
    );
    const chain = good.cacerts["cert-chain.pem"];
    const shortChain = chain.slice(0, chain.length - 100);
    expectFailure(
      validate(withFiles(good.cacerts, { "cert-chain.pem": shortChain })),
      "InvalidPEM",
      /^cert-chain\.pem: PEM block 2/,
    );
  });

  it("garbage bytes, non-base64 data and a corrupted DER body with InvalidPEM", () => {
    const garbage = randomBytes(2048).toString("base64");
    expectFailure(validate({ ...secretData(good.cacerts), "ca-key.pem": garbage }), "InvalidPEM");
    expectFailure(validate({ ...secretData(good.cacerts), "root-cert.pem": "%%%" }), "InvalidPEM");
    const body = randomBytes(300).toString("base64");
    const fake = `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
    expectFailure(
      validate(withFiles(good.cacerts, { "ca-cert.pem": fake })),
      "InvalidPEM",
      /ca-cert\.pem is not a valid X\.509 certificate/,
    );
  });

  it("wrong block types and counts with InvalidPEM", () => {
    const keyInChain = good.cacerts["cert-chain.pem"] + good.cacerts["ca-key.pem"];
    expectFailure(
      validate(withFiles(good.cacerts, { "cert-chain.pem": keyInChain })),
      "InvalidPEM",
      /PRIVATE KEY block, not a CERTIFICATE/,
    );
    const twoCerts = good.cacerts["cert-chain.pem"];
    expectFailure(
      validate(withFiles(good.cacerts, { "ca-cert.pem": twoCerts })),
      "InvalidPEM",
      /exactly one/,
    );
    const certAsKey = good.cacerts["ca-cert.pem"];
    expectFailure(validate(withFiles(good.cacerts, { "ca-key.pem": certAsKey })), "InvalidPEM");
  });

  it("an encrypted key with InvalidPEM, saying so", () => {
    const encrypted = createPrivateKey(good.cacerts["ca-key.pem"])
      .export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "secret" })
      .toString();
    expectFailure(
      validate(withFiles(good.cacerts, { "ca-key.pem": encrypted })),
      "InvalidPEM",
      /encrypted/,
    );
  });

  it("the key of another certificate with KeyMismatch", () => {
    const data = withFiles(good.cacerts, { "ca-key.pem": other.cacerts["ca-key.pem"] });
    expectFailure(
      validate(data),
      "KeyMismatch",
      /ca-key\.pem is not the private key of ca-cert\.pem/,
    );
  });

  it("a key whose private half is damaged (its embedded public key still matches) with KeyMismatch", () => {
    const der = createPrivateKey(good.cacerts["ca-key.pem"]).export({
      type: "pkcs8",
      format: "der",
    });
    const scalar = der.indexOf(Buffer.from([0x04, 0x20])) + 2; // OCTET STRING of 32 bytes
    der[scalar + 3] = (der[scalar + 3] ?? 0) ^ 0xff;
    const damaged = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    const pem = damaged.export({ type: "pkcs8", format: "pem" }).toString();
    expectFailure(validate(withFiles(good.cacerts, { "ca-key.pem": pem })), "KeyMismatch");
  });

  it("a workload (non-CA) certificate as ca-cert.pem with NotACA", async () => {
    const leaf = await issueWorkloadLeaf(good.cacerts);
    const data = withFiles(good.cacerts, {
      "ca-cert.pem": leaf.certPem,
      "ca-key.pem": leaf.keyPem,
      "cert-chain.pem": leaf.certPem + good.cacerts["cert-chain.pem"],
    });
    expectFailure(validate(data), "NotACA", /ca-cert\.pem is not a CA/);
  });

  it("a chain in the wrong order with ChainInvalid", () => {
    const reversed = good.cacerts["root-cert.pem"] + good.cacerts["ca-cert.pem"];
    const data = withFiles(good.cacerts, { "cert-chain.pem": reversed });
    expectFailure(validate(data), "ChainInvalid", /must start with ca-cert\.pem/);
    const swapped = good.cacerts["ca-cert.pem"] + other.cacerts["root-cert.pem"];
    expectFailure(
      validate(withFiles(good.cacerts, { "cert-chain.pem": swapped })),
      "ChainInvalid",
      /not signed by/,
    );
  });

  it("a chain that does not reach the root in root-cert.pem with ChainInvalid", () => {
    const data = withFiles(good.cacerts, { "root-cert.pem": other.cacerts["root-cert.pem"] });
    expectFailure(
      validate(data),
      "ChainInvalid",
      /does not end at \(or under\) a certificate in root-cert\.pem/,
    );
    const intermediateAsRoot = withFiles(good.cacerts, {
      "cert-chain.pem": good.cacerts["ca-cert.pem"],
      "root-cert.pem": good.cacerts["ca-cert.pem"],
    });
    expectFailure(validate(intermediateAsRoot), "ChainInvalid", /not a self-signed root/);
  });

  it("a CA below the pathlen:0 intermediate with ChainInvalid", async () => {
    const sub = await issueSubordinateCa(good.cacerts);
    const data = withFiles(good.cacerts, {
      "ca-cert.pem": sub.certPem,
      "ca-key.pem": sub.keyPem,
      "cert-chain.pem": sub.certPem + good.cacerts["cert-chain.pem"],
    });
    expectFailure(
      validate(data),
      "ChainInvalid",
      /allows 0 intermediate CA\(s\) below it; the chain has 1/,
    );
  });

  it("an expired CA with Expired and one expiring within renewBefore with ExpiringSoon", async () => {
    const now = Date.now();
    const expired = await testCa({ now: new Date(now - 400 * DAY), intermediateValidityMs: DAY });
    expectFailure(
      validate(secretData(expired.cacerts)),
      "Expired",
      /^ca-cert\.pem expired at \d{4}-/,
    );
    const expiring = await testCa({ intermediateValidityMs: 10 * DAY });
    expectFailure(
      validate(secretData(expiring.cacerts)),
      "ExpiringSoon",
      /ca-cert\.pem expires at/,
    );
    expect(validateCaSecret(secretData(expiring.cacerts), new Date(), 9 * DAY).ok).toBe(true);
    const rootExpiring = await testCa({
      rootValidityMs: 20 * DAY,
      intermediateValidityMs: DAY * 15,
    });
    expectFailure(validate(secretData(rootExpiring.cacerts)), "ExpiringSoon");
  });

  it("a CA not valid yet with NotYetValid", () => {
    const past = new Date(good.rootNotAfter.getTime() - 3650 * DAY - DAY);
    expectFailure(validate(secretData(good.cacerts), past), "NotYetValid", /not valid before/);
  });
});
