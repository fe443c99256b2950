import { createPrivateKey, X509Certificate as NodeCertificate } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { CLOCK_SKEW_MS, generateCa, renewIntermediate } from "../../../operator/pki/generate.ts";
import { randomSerialNumber } from "../../../operator/pki/ca-certificate.ts";
import { CACERTS_KEYS } from "../../../operator/pki/secret-layout.ts";
import type { KeyAlgorithm } from "../../../operator/pki/keys.ts";
import {
  pkiChecker,
  writePems,
  type CertificateFacts,
  type PkiCheck,
} from "../../fixtures/pki/pki-check.ts";
import { DAY, issueWorkloadLeaf, keyMatches, testCa } from "../../fixtures/pki/test-ca.ts";
import { scratchDir } from "../../scratch.ts";

// Go's crypto/x509 (tools/pki-check), what istiod verifies with, judges the chains.
let go: PkiCheck;
beforeAll(async () => {
  go = await pkiChecker();
}, 300_000);

function expectVerified(dir: string, cert: string, roots: string, intermediates?: string): void {
  expect(go.verify(dir, cert, roots, intermediates)).toEqual({ ok: true, error: "" });
}

function expectCaExtensions(facts: CertificateFacts, pathLength: number): void {
  expect(facts.basicConstraints).toEqual({
    present: true,
    critical: true,
    ca: true,
    pathLen: pathLength,
  });
  expect(facts.keyUsage).toEqual({
    critical: true,
    usages: ["digitalSignature", "keyCertSign", "cRLSign"],
  });
  expect(facts.subjectKeyId).toMatch(/^[0-9a-f]{40}$/);
  expect(facts.authorityKeyId).toMatch(/^[0-9a-f]{40}$/);
}

describe.each<[KeyAlgorithm, string]>([
  ["ECDSA-P256", "ECDSA-SHA256"],
  ["RSA-2048", "SHA256-RSA"],
])("generateCa with %s", (keyAlgorithm, signature) => {
  it("writes a chain Go's x509 verifies, with CA extensions on both certificates", async () => {
    const bundle = await testCa({ keyAlgorithm, organization: "example, Inc." });
    const dir = scratchDir("pki-generate");
    writePems(dir, bundle.cacerts);

    expectVerified(dir, "ca-cert.pem", "root-cert.pem");
    expectVerified(dir, "ca-cert.pem", "root-cert.pem", "cert-chain.pem");

    const root = go.inspect(dir, "root-cert.pem");
    expectCaExtensions(root, 1);
    expect(root.subjectOrganization).toEqual(["example, Inc."]);
    expect(root.subjectCommonName).toBe("Meshkeeper Root CA");
    expect(root.signatureAlgorithm).toBe(signature);
    const intermediate = go.inspect(dir, "ca-cert.pem");
    expectCaExtensions(intermediate, 0);
    expect(intermediate.issuer).toBe(root.subject);
    expect(intermediate.subject).toBe("CN=Meshkeeper Intermediate CA,O=example\\, Inc.");

    // The intermediate's authority key id is the root's subject key id.
    expect(intermediate.authorityKeyId).toBe(root.subjectKeyId);
  });

  it("signs a workload leaf that verifies against the root through the intermediate", async () => {
    const bundle = await testCa({ keyAlgorithm });
    const leaf = await issueWorkloadLeaf(bundle.cacerts);
    const dir = scratchDir("pki-leaf");
    writePems(dir, { ...bundle.cacerts, "leaf.pem": leaf.certPem });

    expectVerified(dir, "leaf.pem", "root-cert.pem", "ca-cert.pem");
    expectVerified(dir, "leaf.pem", "root-cert.pem", "cert-chain.pem");
    expect(go.inspect(dir, "leaf.pem").uris).toEqual([
      "spiffe://cluster.local/ns/default/sa/default",
    ]);
    // Without the intermediate the leaf does not verify: the root did not sign it directly.
    expect(go.verify(dir, "leaf.pem", "root-cert.pem").error).toMatch(/unknown authority/);
  });
});

describe("generateCa", () => {
  it("returns exactly the four cacerts keys, the intermediate key as PKCS#8, and no root key in them", async () => {
    const bundle = await testCa();
    expect(Object.keys(bundle.cacerts).sort()).toEqual([...CACERTS_KEYS].sort());
    expect(bundle.cacerts["ca-key.pem"]).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(bundle.rootKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(bundle.cacerts["cert-chain.pem"]).toBe(
      bundle.cacerts["ca-cert.pem"] + bundle.cacerts["root-cert.pem"],
    );
    expect(keyMatches(bundle.cacerts["ca-cert.pem"], bundle.cacerts["ca-key.pem"])).toBe(true);
    expect(keyMatches(bundle.cacerts["root-cert.pem"], bundle.rootKey)).toBe(true);
    expect(Object.values(bundle.cacerts).join("")).not.toContain(
      bundle.rootKey.split("\n")[1] ?? "",
    );

    const dir = scratchDir("pki-key");
    writePems(dir, bundle.cacerts);
    expect(go.key(dir, "ca-key.pem", "ca-cert.pem")).toEqual({
      format: "PKCS#8",
      algorithm: "ECDSA",
      bits: 256,
      matchesCertificate: true,
    });
  });

  it("uses validities from the options, never lets the intermediate outlive the root", async () => {
    const now = new Date("2030-01-01T00:00:00.500Z");
    const bundle = await testCa({
      now,
      rootValidityMs: 10 * DAY,
      intermediateValidityMs: 30 * DAY,
    });
    const root = new NodeCertificate(bundle.cacerts["root-cert.pem"]);
    const intermediate = new NodeCertificate(bundle.cacerts["ca-cert.pem"]);
    expect(root.validToDate).toEqual(new Date("2030-01-11T00:00:00Z"));
    expect(intermediate.validToDate).toEqual(root.validToDate);
    expect(bundle.rootNotAfter).toEqual(root.validToDate);
    expect(bundle.intermediateNotAfter).toEqual(intermediate.validToDate);
    expect(root.validFromDate.getTime()).toBe(Date.parse("2030-01-01T00:00:00Z") - CLOCK_SKEW_MS);

    const shorter = await testCa({ now, intermediateValidityMs: DAY });
    expect(shorter.intermediateNotAfter).toEqual(new Date("2030-01-02T00:00:00Z"));
  });

  it("gives every certificate a random positive 128-bit serial number", async () => {
    const serials = (await Promise.all([testCa(), testCa()])).flatMap((bundle) => [
      new NodeCertificate(bundle.cacerts["root-cert.pem"]).serialNumber,
      new NodeCertificate(bundle.cacerts["ca-cert.pem"]).serialNumber,
    ]);
    expect(new Set(serials).size).toBe(4);
    for (const serial of serials) {
      expect(serial).toMatch(/^[1-7][0-9A-F]{31}$|^0[1-9A-F][0-9A-F]{30}$/);
    }
  });

  it("rejects validities that are not positive", async () => {
    await expect(testCa({ rootValidityMs: 0 })).rejects.toThrow(/rootValidityMs/);
    await expect(testCa({ intermediateValidityMs: -1 })).rejects.toThrow(/intermediateValidityMs/);
  });

  it("makes an RSA-4096 CA that Go's x509 verifies", { timeout: 60_000 }, async () => {
    const bundle = await generateCa({
      organization: "cluster.local",
      rootValidityMs: 3650 * DAY,
      intermediateValidityMs: 365 * DAY,
      keyAlgorithm: "RSA-4096",
      now: new Date(),
    });
    const dir = scratchDir("pki-rsa4096");
    writePems(dir, bundle.cacerts);
    expectVerified(dir, "ca-cert.pem", "root-cert.pem");
    expect(go.inspect(dir, "ca-cert.pem")).toMatchObject({
      publicKeyAlgorithm: "RSA",
      publicKeyBits: 4096,
    });
  });
});

describe("renewIntermediate", () => {
  it("issues a new intermediate under the same root, which verifies and signs leaves", async () => {
    // Made a day ago, renewed now (so Go, on today's clock, accepts both).
    const first = await testCa({ now: new Date(Date.now() - DAY) });
    const root = { certPem: first.cacerts["root-cert.pem"], keyPem: first.rootKey };
    const renewed = await renewIntermediate(root, {
      organization: "cluster.local",
      intermediateValidityMs: 365 * DAY,
      keyAlgorithm: "ECDSA-P256",
      now: new Date(),
    });

    expect(renewed.cacerts["root-cert.pem"]).toBe(first.cacerts["root-cert.pem"]);
    expect(renewed.rootKey).toBe(first.rootKey);
    expect(renewed.rootNotAfter).toEqual(first.rootNotAfter);
    expect(renewed.cacerts["ca-cert.pem"]).not.toBe(first.cacerts["ca-cert.pem"]);
    expect(renewed.cacerts["ca-key.pem"]).not.toBe(first.cacerts["ca-key.pem"]);
    expect(renewed.intermediateNotAfter.getTime()).toBeGreaterThan(
      first.intermediateNotAfter.getTime(),
    );

    const leaf = await issueWorkloadLeaf(renewed.cacerts);
    const dir = scratchDir("pki-renew");
    writePems(dir, { ...renewed.cacerts, "leaf.pem": leaf.certPem });
    expectVerified(dir, "ca-cert.pem", "root-cert.pem");
    expectVerified(dir, "leaf.pem", "root-cert.pem", "cert-chain.pem");
    expectCaExtensions(go.inspect(dir, "ca-cert.pem"), 0);
  });

  it("signs with an RSA root when the intermediate is ECDSA", async () => {
    const first = await testCa({ keyAlgorithm: "RSA-2048" });
    const renewed = await renewIntermediate(
      { certPem: first.cacerts["root-cert.pem"], keyPem: first.rootKey },
      {
        organization: "o",
        intermediateValidityMs: DAY,
        keyAlgorithm: "ECDSA-P256",
        now: new Date(),
      },
    );
    const dir = scratchDir("pki-renew-rsa");
    writePems(dir, renewed.cacerts);
    expectVerified(dir, "ca-cert.pem", "root-cert.pem");
    expect(go.inspect(dir, "ca-cert.pem")).toMatchObject({
      signatureAlgorithm: "SHA256-RSA",
      publicKeyAlgorithm: "ECDSA",
    });
  });

  it("refuses a root key that is not the root certificate's, and an expired root", async () => {
    const [one, other] = await Promise.all([testCa(), testCa()]);
    const options = {
      organization: "o",
      intermediateValidityMs: DAY,
      keyAlgorithm: "ECDSA-P256" as const,
      now: new Date(),
    };
    await expect(
      renewIntermediate({ certPem: one.cacerts["root-cert.pem"], keyPem: other.rootKey }, options),
    ).rejects.toThrow(/does not belong/);
    const der = createPrivateKey(one.rootKey).export({ type: "pkcs8", format: "der" });
    const scalar = der.indexOf(Buffer.from([0x04, 0x20])) + 2;
    der[scalar + 3] = (der[scalar + 3] ?? 0) ^ 0xff;
    const damaged = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    const damagedPem = damaged.export({ type: "pkcs8", format: "pem" }).toString();
    await expect(
      renewIntermediate({ certPem: one.cacerts["root-cert.pem"], keyPem: damagedPem }, options),
    ).rejects.toThrow(/damaged/);
    await expect(
      renewIntermediate(
        { certPem: one.cacerts["root-cert.pem"], keyPem: one.rootKey },
        { ...options, now: new Date(one.rootNotAfter.getTime() + 1000) },
      ),
    ).rejects.toThrow(/expired/);
  });
});

describe("randomSerialNumber", () => {
  it("is always 16 octets, positive, with a non-zero first octet (even from 0x00 or 0x80)", () => {
    // 4,000 draws meet a first octet of 0x00 or 0x80 about 31 times.
    for (let i = 0; i < 4_000; i += 1)
      expect(randomSerialNumber()).toMatch(/^(0[1-9a-f]|[1-7][0-9a-f])[0-9a-f]{30}$/);
  });
});
