/**
 * Every object rendered from every sample is accepted by the real API server (server-side
 * apply, dry run, field manager meshkeeper), once the namespaces exist and the rendered
 * CRDs (Istio's) are installed; and the installed Istio CRDs accept a canary route.
 */
import { renderInputs } from "../fixtures/samples.ts";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { fileNameOf, renderFile, toYaml } from "../../operator/cli/render.ts";
import { locateBinary } from "../../operator/local/assets.ts";
import { BINARIES } from "../../operator/local/components.ts";
import { istioCrdObjects } from "../../operator/render/istio-crds.ts";
import { scratchDir } from "../scratch.ts";

const CANARY = new URL("../fixtures/canary.yaml", import.meta.url).pathname;
const SSA = ["apply", "--server-side", "--field-manager=meshkeeper"];

function kubectl(...args: string[]) {
  return promisify(execFile)(locateBinary(BINARIES.kubectl)?.path ?? "kubectl", args, {
    env: { ...process.env, KUBECONFIG: inject("cluster").kubeconfig },
    maxBuffer: 16 * 1024 * 1024,
  });
}

beforeAll(async () => {
  const crds = scratchDir("istio-crds");
  istioCrdObjects().forEach((crd) => {
    writeFileSync(join(crds, `${crd.metadata.name}.yaml`), toYaml(crd));
  });
  await kubectl(...SSA, "-f", crds);
  await kubectl("wait", "--for=condition=Established", "--timeout=60s", "-f", crds);
}, 120_000);

describe("rendered objects", () => {
  for (const { name: sample, path } of renderInputs()) {
    it(`of ${sample} are all accepted by the API server`, async () => {
      const objects = renderFile(path).filter((o) => o.object.kind !== "CustomResourceDefinition");
      const namespaces = scratchDir("namespaces");
      const rest = scratchDir("rendered");
      objects.forEach((o, index) => {
        const folder = o.object.kind === "Namespace" ? namespaces : rest;
        writeFileSync(join(folder, fileNameOf(index, o)), toYaml(o.object));
      });
      await kubectl(...SSA, "-f", namespaces);
      const { stdout } = await kubectl(...SSA, "--dry-run=server", "-f", rest);
      const applied = stdout.trim().split("\n");
      expect(applied).toHaveLength(objects.filter((o) => o.object.kind !== "Namespace").length);
      for (const line of applied) expect(line).toMatch(/serverside-applied \(server dry run\)$/);
      // Istio's own kinds are among them, so the Istio CRDs took them.
      expect(stdout).toContain("peerauthentication.security.istio.io/default");
    });
  }

  it("include Istio CRDs that accept the canary example (90% v1, 10% v2)", async () => {
    await kubectl("create", "namespace", "canary");
    const { stdout } = await kubectl(...SSA, "-f", CANARY);
    expect(stdout).toContain("virtualservice.networking.istio.io/reviews serverside-applied");
    expect(stdout).toContain("destinationrule.networking.istio.io/reviews serverside-applied");
    const { stdout: json } = await kubectl(
      "get",
      "virtualservice",
      "reviews",
      "-n",
      "canary",
      "-o",
      "json",
    );
    const route = (JSON.parse(json) as { spec: { http: { route: { weight: number }[] }[] } }).spec
      .http[0]?.route;
    expect(route?.map((r) => r.weight)).toEqual([90, 10]);
  });

  it("refuses Istio objects that break the schema", async () => {
    const bad = join(scratchDir("bad-istio"), "bad.yaml");
    writeFileSync(
      bad,
      "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: bad, namespace: canary}\nspec: {mtls: {mode: SOMETIMES}}\n",
    );
    await expect(kubectl(...SSA, "--dry-run=server", "-f", bad)).rejects.toThrow(
      /spec.mtls.mode: Unsupported value: "SOMETIMES"/,
    );
  });
});
