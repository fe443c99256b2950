/**
 * The MeshConfig API against the real API server: samples are accepted with the
 * documented defaults, a table of invalid objects is each rejected at admission with a
 * message naming the field, and generated specs show that the zod schema and the CRD
 * agree (what one accepts the other accepts, and the stored object is zod's output).
 */
import { sampleFiles } from "../fixtures/samples.ts";
import fc from "fast-check";
import { execFile } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { locateBinary } from "../../operator/local/assets.ts";
import { BINARIES } from "../../operator/local/components.ts";
import { validateMeshConfig, validateSpec } from "../../operator/api/validate.ts";
import { APPLY_TIME_INVALID } from "../fixtures/apply-time-invalid-meshconfigs.ts";
import { BASE, INVALID, meshConfig } from "../fixtures/invalid-meshconfigs.ts";
import { mutatedSpec, validSpec } from "../fixtures/meshconfig-arbitraries.ts";
import {
  customObjects,
  dryRunCreate,
  installMeshConfigCrd,
  replace,
  target,
} from "./meshconfig-client.ts";

const SAMPLES = new URL("../../config/samples/", import.meta.url);

beforeAll(installMeshConfigCrd);

describe("MeshConfig samples", () => {
  for (const file of sampleFiles()) {
    it(`accepts ${file}, storing exactly what the zod schema yields`, async () => {
      const sample = parse(readFileSync(new URL(file, SAMPLES), "utf8")) as Record<string, unknown>;
      const admission = await dryRunCreate(sample);
      if (!admission.accepted) throw new Error(admission.message);
      const zod = validateMeshConfig(sample);
      if (!zod.ok) throw new Error(`zod refuses the sample: ${JSON.stringify(zod.problems)}`);
      expect(admission.object.spec).toEqual(zod.spec);
    });
  }

  it("defaults a minimal MeshConfig as documented, with observedGeneration -1", async () => {
    const admission = await dryRunCreate(meshConfig(BASE));
    if (!admission.accepted) throw new Error(admission.message);
    expect(admission.object.spec).toEqual({
      version: "1.29.2",
      hub: "docker.io/istio",
      namespace: "istio-system",
      updateStrategy: { type: "InPlace" },
      dataPlane: { mode: "sidecar" },
      gatewayAPI: { enabled: true, crds: "Managed" },
      controlPlane: {
        replicas: 1,
        autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 5, targetCPUUtilization: 80 },
        logLevel: "info",
      },
      sidecarInjector: {
        enabled: true,
        nativeSidecars: "auto",
        proxy: { logLevel: "warning", holdApplicationUntilProxyStarts: true },
      },
      certificateAuthority: { type: "SelfSigned", deletionPolicy: "Retain" },
      security: { mtls: "STRICT", authorization: "AllowAll" },
      telemetry: { accessLogging: false },
    });
    expect(admission.object.status).toEqual({ observedGeneration: -1 });
  });
});

describe("invalid MeshConfigs", () => {
  it("has a table of at least 40 cases", () => {
    expect(INVALID.length).toBeGreaterThanOrEqual(40);
  });

  it.each([...INVALID, ...APPLY_TIME_INVALID])(
    "rejects %s at admission, naming the field",
    async (_what, body, expected) => {
      const admission = await dryRunCreate(body);
      expect(admission).toMatchObject({ accepted: false, status: 422 });
      expect(admission.accepted ? "" : admission.message).toContain(expected);
      // The reconciler's own validation agrees: it would refuse the same object.
      expect(validateMeshConfig(body as never).ok).toBe(false);
    },
  );

  it("refuses to move the control plane to another namespace", async () => {
    const created = await customObjects.createClusterCustomObject({
      ...target,
      body: meshConfig(BASE),
    });
    try {
      const moved = { ...created, spec: { ...created.spec, namespace: "elsewhere" } };
      const admission = await replace(moved);
      expect(admission).toMatchObject({ accepted: false, status: 422 });
      expect(admission.accepted ? "" : admission.message).toContain(
        "spec.namespace: Invalid value",
      );
      expect(admission.accepted ? "" : admission.message).toContain("namespace is immutable");
      // Other fields still change.
      const upgraded = await replace({ ...created, spec: { ...created.spec, version: "1.29.3" } });
      expect(upgraded).toMatchObject({ accepted: true });
    } finally {
      await customObjects.deleteClusterCustomObject({ ...target, name: "default" });
    }
  });
});

describe("zod schema and CRD agree", () => {
  it("accepts every generated valid spec, and stores exactly zod's output", async () => {
    await fc.assert(
      fc.asyncProperty(validSpec, async (spec) => {
        const zod = validateSpec(spec);
        expect(zod.ok ? [] : zod.problems).toEqual([]);
        const admission = await dryRunCreate(meshConfig(spec));
        expect(admission.accepted ? "" : admission.message).toBe("");
        expect(admission.accepted && admission.object.spec).toEqual(zod.ok && zod.spec);
      }),
      { numRuns: 60 },
    );
  });

  it("never stores a spec that zod would refuse (random single-field damage)", async () => {
    let accepted = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(mutatedSpec, async (spec) => {
        const admission = await dryRunCreate(meshConfig(spec));
        const zodOnInput = validateSpec(spec);
        if (!admission.accepted) {
          rejected += 1;
          // What admission refuses, zod refuses too.
          expect(zodOnInput.ok, admission.message).toBe(false);
          return;
        }
        accepted += 1;
        // What the reconciler reads is the stored object: zod must take it as it is.
        const stored = validateSpec(admission.object.spec);
        expect(stored.ok ? [] : stored.problems).toEqual([]);
        expect(stored.ok && stored.spec).toEqual(admission.object.spec);
        if (zodOnInput.ok) expect(zodOnInput.spec).toEqual(admission.object.spec);
      }),
      { numRuns: 200 },
    );
    // The damage must really exercise both outcomes.
    expect(accepted).toBeGreaterThan(10);
    expect(rejected).toBeGreaterThan(10);
  });
});

describe("MeshConfig for people at a terminal", () => {
  const kubectl = (...args: string[]) =>
    promisify(execFile)(locateBinary(BINARIES.kubectl)?.path ?? "kubectl", args, {
      env: { ...process.env, KUBECONFIG: inject("cluster").kubeconfig },
    });

  it("explains every field with kubectl explain", async () => {
    // The API server publishes the CRD's OpenAPI a moment after it is Established.
    let output = "";
    for (let attempt = 0; attempt < 50 && !output.includes("DESCRIPTION"); attempt += 1) {
      output = await kubectl("explain", "meshconfigs.spec.certificateAuthority.type").then(
        (r) => r.stdout,
        () => "",
      );
      if (!output.includes("DESCRIPTION")) await sleep(200);
    }
    expect(output).toContain("SelfSigned: the operator generates and guards the CA");
    const gateways = await kubectl("explain", "meshconfigs.spec.gateways");
    expect(gateways.stdout).toContain("Ingress and egress gateways");
  });

  it("lists MeshConfigs with the Ready, Version, Namespace, Reason and Age columns", async () => {
    await customObjects.createClusterCustomObject({ ...target, body: meshConfig(BASE) });
    try {
      const { stdout } = await kubectl("get", "mesh");
      expect(stdout.split("\n")[0]?.split(/\s+/)).toEqual([
        "NAME",
        "READY",
        "VERSION",
        "NAMESPACE",
        "REASON",
        "AGE",
      ]);
      expect(stdout).toMatch(/default\s+1\.29\.2\s+istio-system/);
    } finally {
      await customObjects.deleteClusterCustomObject({ ...target, name: "default" });
    }
  });
});
