/**
 * The OLM bundle, the catalog and config/crd's CRD copy are generated, never edited:
 * these fail when the committed files differ from what `npm run bundle` makes, and keep
 * the bundle well under OLM's 1 MiB compressed limit (it is stored in a ConfigMap).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { CRD_FILE } from "../../../operator/api/crd.ts";
import { staleness } from "../../../operator/cli/bundle.ts";
import { BUNDLE_DIR, CONFIG_CRD, generateOlmFiles } from "../../../operator/olm/bundle.ts";
import { REPO_ROOT } from "../../../operator/olm/kustomize.ts";

let files: Map<string, string>;

beforeAll(async () => {
  files = await generateOlmFiles();
});

/** A ustar archive of the given files, as `tar c` writes it (enough for a size check). */
function tar(entries: readonly { name: string; data: Buffer }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const { name, data } of entries) {
    const header = Buffer.alloc(512);
    const field = (text: string, offset: number, length: number) => {
      header.write(text, offset, length, "ascii");
    };
    const octal = (value: number, offset: number, length: number) => {
      field(`${value.toString(8).padStart(length - 1, "0")}\0`, offset, length);
    };
    field(name, 0, 100);
    octal(0o644, 100, 8);
    octal(0, 108, 8);
    octal(0, 116, 8);
    octal(data.length, 124, 12);
    octal(0, 136, 12);
    field("        ", 148, 8);
    field("0", 156, 1);
    field("ustar\u000000", 257, 8);
    const sum = header.reduce((total, byte) => total + byte, 0);
    field(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

describe("npm run bundle", () => {
  it("has written exactly what it generates (run `npm run bundle` when this fails)", () => {
    expect(staleness(files)).toEqual({ changed: [], extra: [] });
  });

  it("copies the MeshConfig CRD of crds/ into config/crd/ and the bundle unchanged", () => {
    const body = (text: string) => text.replace(/^#.*\n/, "");
    const source = readFileSync(join(REPO_ROOT, "crds", CRD_FILE), "utf8");
    expect(body(files.get(CONFIG_CRD) ?? "")).toBe(body(source));
    expect(files.get(`${BUNDLE_DIR}/manifests/${CRD_FILE}`)).toBe(files.get(CONFIG_CRD));
  });

  it("makes a bundle under 1 MiB compressed", () => {
    const entries = ["manifests", "metadata"].flatMap((dir) =>
      readdirSync(join(REPO_ROOT, BUNDLE_DIR, dir))
        .sort()
        .map((file) => ({
          name: `${dir}/${file}`,
          data: readFileSync(join(REPO_ROOT, BUNDLE_DIR, dir, file)),
        })),
    );
    expect(entries.length).toBe(18); // 15 Istio CRDs, the MeshConfig CRD, the CSV, annotations.yaml
    const compressed = gzipSync(tar(entries)).length;
    expect(compressed).toBeGreaterThan(10_000);
    expect(compressed).toBeLessThan(1024 * 1024);
  });
});
