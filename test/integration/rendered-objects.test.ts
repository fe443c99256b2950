/**
 * Every object rendered from every sample is accepted by the real API server (server-side
 * apply, dry run, field manager meshkeeper), once the namespaces exist and the rendered
 * CRDs (Istio's) are installed; and the installed Istio CRDs accept a canary route.
 */
import { renderInputs } from "../fixtures/samples.ts";
import fc from "fast-check";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { fileNameOf, renderFile, toYaml } from "../../operator/cli/render.ts";
import { locateBinary } from "../../operator/local/assets.ts";
import { BINARIES } from "../../operator/local/components.ts";
import { validateSpec } from "../../operator/api/validate.ts";
import { checkRenderedObjects } from "../../operator/render/identity-check.ts";
import { istioCrdObjects } from "../../operator/render/istio-crds.ts";
import { identityOf } from "../../operator/render/origin.ts";
import { render, type RenderedObject } from "../../operator/render/render.ts";
import { validSpec } from "../fixtures/meshconfig-arbitraries.ts";
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

/** Namespaces first (for real: dry-run objects need them), then a server-side dry run of the rest. */
async function dryRunAll(objects: readonly RenderedObject[]): Promise<string[]> {
  const namespaces = scratchDir("namespaces");
  const rest = scratchDir("rendered");
  objects.forEach((o, index) => {
    const folder = o.object.kind === "Namespace" ? namespaces : rest;
    writeFileSync(join(folder, fileNameOf(index, o)), toYaml(o.object));
  });
  await kubectl(...SSA, "-f", namespaces);
  const { stdout } = await kubectl(...SSA, "--dry-run=server", "-f", rest);
  return stdout.trim().split("\n");
}

// Generated names get a prefix of their own so they never meet another test's namespaces.
const prefixed = (name: string) => `dry-${name}`.slice(0, 63).replace(/-+$/, "");

describe("rendered objects", () => {
  for (const { name: sample, path } of renderInputs()) {
    it(`of ${sample} are all accepted by the API server`, async () => {
      const objects = renderFile(path).filter((o) => o.object.kind !== "CustomResourceDefinition");
      const applied = await dryRunAll(objects);
      expect(applied).toHaveLength(objects.filter((o) => o.object.kind !== "Namespace").length);
      for (const line of applied) expect(line).toMatch(/serverside-applied \(server dry run\)$/);
      // Istio's own kinds are among them, so the Istio CRDs took them.
      expect(applied).toContain(
        "peerauthentication.security.istio.io/default serverside-applied (server dry run)",
      );
    });
  }

  it("of every generated valid spec are distinct and each passes a server-side dry run", async () => {
    const created = new Set<string>();
    try {
      await fc.assert(
        fc.asyncProperty(validSpec, fc.constantFrom("1.29.2", "1.30.0"), async (input, version) => {
          const moved = {
            ...input,
            version,
            namespace: prefixed(input.namespace ?? "istio-system"),
            gateways: input.gateways?.map((g) => ({ ...g, namespace: prefixed(g.namespace) })),
          };
          const validation = validateSpec(moved);
          if (!validation.ok) throw new Error(JSON.stringify(validation.problems));
          const objects = render(validation.spec).filter(
            (o) => o.object.kind !== "CustomResourceDefinition",
          );
          const identities = objects.map(identityOf);
          expect(new Set(identities).size).toBe(identities.length);
          expect(checkRenderedObjects(validation.spec, objects)).toEqual([]);
          objects
            .filter((o) => o.object.kind === "Namespace")
            .forEach((o) => created.add(o.object.metadata.name));
          const applied = await dryRunAll(objects);
          expect(applied).toHaveLength(
            objects.length - objects.filter((o) => o.object.kind === "Namespace").length,
          );
          for (const line of applied)
            expect(line).toMatch(/serverside-applied \(server dry run\)$/);
        }),
        { numRuns: 15 },
      );
    } finally {
      if (created.size > 0) await kubectl("delete", "namespace", "--wait=false", ...created);
    }
  }, 600_000);

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
