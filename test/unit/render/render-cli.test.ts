import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RenderInputError, renderFile } from "../../../operator/cli/render.ts";
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
