/**
 * Every object rendered from every sample is accepted by the real API server (server-side
 * apply, dry run, field manager meshkeeper), after the namespaces it lives in exist.
 * Istio's own kinds (policies) wait for the Istio CRDs, which the base component adds.
 */
import { execFile } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { fileNameOf, renderFile, toYaml } from "../../operator/cli/render.ts";
import { locateBinary } from "../../operator/local/assets.ts";
import { BINARIES } from "../../operator/local/components.ts";
import { scratchDir } from "../scratch.ts";

const SAMPLES = new URL("../../config/samples/", import.meta.url);

function kubectl(...args: string[]) {
  return promisify(execFile)(locateBinary(BINARIES.kubectl)?.path ?? "kubectl", args, {
    env: { ...process.env, KUBECONFIG: inject("cluster").kubeconfig },
  });
}

describe("rendered objects", () => {
  for (const sample of readdirSync(SAMPLES).filter((f) => f.endsWith(".yaml"))) {
    it(`of ${sample} are all accepted by the API server`, async () => {
      const objects = renderFile(new URL(sample, SAMPLES).pathname).filter(
        (o) => o.component !== "policies",
      );
      const namespaces = scratchDir("namespaces");
      const rest = scratchDir("rendered");
      objects.forEach((o, index) => {
        const folder = o.object.kind === "Namespace" ? namespaces : rest;
        writeFileSync(join(folder, fileNameOf(index, o)), toYaml(o.object));
      });
      await kubectl("apply", "--server-side", "--field-manager=meshkeeper", "-f", namespaces);
      const { stdout } = await kubectl(
        "apply",
        "--server-side",
        "--field-manager=meshkeeper",
        "--dry-run=server",
        "-f",
        rest,
      );
      const applied = stdout.trim().split("\n");
      expect(applied).toHaveLength(objects.filter((o) => o.object.kind !== "Namespace").length);
      for (const line of applied) expect(line).toMatch(/serverside-applied \(server dry run\)$/);
    });
  }
});
