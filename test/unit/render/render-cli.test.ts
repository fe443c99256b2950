import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { fileNameOf, RenderInputError, renderFile } from "../../../operator/cli/render.ts";
import { scratchDir } from "../../scratch.ts";

function file(text: string): string {
  const path = join(scratchDir("render-input"), "meshconfig.yaml");
  writeFileSync(path, text);
  return path;
}

const HEADER =
  "apiVersion: meshkeeper.dev/v1alpha1\nkind: MeshConfig\nmetadata: { name: default }\n";

describe("meshkeeper render input errors", () => {
  it.each([
    ["a missing file", "/nonexistent/meshconfig.yaml", "no such file"],
    ["broken YAML", file("kind: [MeshConfig\n"), "not valid YAML"],
    ["an empty file", file(""), "kind must be MeshConfig"],
    ["another kind", file("kind: Deployment\n"), "kind must be MeshConfig"],
    [
      "a bad field",
      file(`${HEADER}spec: { version: 1.29.2, controlPlane: { replicas: -2 } }\n`),
      "spec.controlPlane.replicas:",
    ],
    [
      "an unsupported version",
      file(`${HEADER}spec: { version: 1.12.0 }\n`),
      "spec.version: Istio 1.12.0 is not supported",
    ],
  ])("names the problem for %s", (_what, path, expected) => {
    expect(() => renderFile(path)).toThrow(RenderInputError);
    expect(() => renderFile(path)).toThrow(expected);
  });
});

describe("meshkeeper render output", () => {
  const main = new URL("../../../operator/cli/main.ts", import.meta.url).pathname;
  const minimal = new URL("../../../config/samples/minimal.yaml", import.meta.url).pathname;
  const expected = renderFile(minimal);

  it("prints every object as one YAML document, in apply order", () => {
    const { stdout, status } = spawnSync(process.execPath, [main, "render", "-f", minimal], {
      encoding: "utf8",
      // The Gateway API CRDs alone are about 1 MiB, spawnSync's default buffer.
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(status).toBe(0);
    const documents = parseAllDocuments(stdout).map((d) => d.toJS() as { kind: string });
    expect(documents).toEqual(expected.map((r) => r.object));
  });

  it("writes one file per object with --output-dir, named in apply order, replacing an earlier render", () => {
    const dir = scratchDir("render-output");
    const stale = join(dir, "999-gateway-deployment-gone-old.yaml");
    const foreign = join(dir, "notes.txt");
    writeFileSync(stale, "kind: Deployment\n");
    writeFileSync(foreign, "mine\n");
    const { status, stderr } = spawnSync(
      process.execPath,
      [main, "render", "-f", minimal, "--output-dir", dir],
      { encoding: "utf8" },
    );
    expect(status).toBe(0);
    expect(stderr).toContain(`wrote ${expected.length} objects into ${dir}`);
    const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
    expect(files).toEqual(expected.map((r, index) => fileNameOf(index, r)));
    expect(files).not.toContain("999-gateway-deployment-gone-old.yaml");
    expect(readFileSync(foreign, "utf8")).toBe("mine\n"); // only its own files are removed
    const first = expected[0];
    if (!first) throw new Error("nothing rendered");
    expect(parse(readFileSync(join(dir, fileNameOf(0, first)), "utf8"))).toEqual(first.object);
  });

  it("prints the same objects as one JSON v1 List with -o json", () => {
    const { stdout, status } = spawnSync(
      process.execPath,
      [main, "render", "-f", minimal, "-o", "json"],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      apiVersion: "v1",
      kind: "List",
      items: expected.map((r) => r.object),
    });
  });

  it("exits 1 with the field path, and prints no object, for a bad file", () => {
    const bad = file(`${HEADER}spec: { version: 1.31.1, gateways: [{ name: Bad }] }\n`);
    const { status, stdout, stderr } = spawnSync(process.execPath, [main, "render", "-f", bad], {
      encoding: "utf8",
    });
    expect(status).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain("spec.gateways[0].name");
  });
});
