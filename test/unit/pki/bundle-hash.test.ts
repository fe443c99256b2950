import { describe, expect, it } from "vitest";
import { caBundleHash } from "../../../operator/pki/bundle-hash.ts";

const bundle = { "ca-cert.pem": "A\n", "root-cert.pem": "R\n", "cert-chain.pem": "A\nR\n" };

describe("caBundleHash", () => {
  it("is a sha256 hex digest, stable for the same certificates", () => {
    expect(caBundleHash(bundle)).toMatch(/^[0-9a-f]{64}$/);
    expect(caBundleHash({ ...bundle })).toBe(caBundleHash(bundle));
  });

  it("changes when any certificate changes, including bytes moved between keys", () => {
    const hashes = new Set([
      caBundleHash(bundle),
      caBundleHash({ ...bundle, "ca-cert.pem": "B\n" }),
      caBundleHash({ ...bundle, "root-cert.pem": "S\n" }),
      caBundleHash({ ...bundle, "cert-chain.pem": "B\nR\n" }),
      caBundleHash({ ...bundle, "ca-cert.pem": "A\nR", "root-cert.pem": "\n" }),
    ]);
    expect(hashes.size).toBe(5);
  });

  it("ignores the private key: rotating it alone cannot be hidden, but the key never feeds a visible value", () => {
    const withKey = { ...bundle, "ca-key.pem": "secret" };
    expect(caBundleHash(withKey)).toBe(caBundleHash(bundle));
  });
});
