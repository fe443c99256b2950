import { sampleFiles } from "../../fixtures/samples.ts";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import {
  describeProblems,
  fieldPath,
  validateMeshConfig,
  validateSpec,
} from "../../../operator/api/validate.ts";

const SAMPLES = new URL("../../../config/samples/", import.meta.url);

describe("run-time validation", () => {
  for (const file of sampleFiles()) {
    it(`accepts the sample ${file}`, () => {
      const result = validateMeshConfig(
        parse(readFileSync(new URL(file, SAMPLES), "utf8")) as never,
      );
      expect(result.ok ? [] : result.problems).toEqual([]);
    });
  }

  it("fills the documented defaults", () => {
    const result = validateSpec({ version: "1.29.2" });
    expect(result.ok && result.spec).toMatchObject({
      hub: "docker.io/istio",
      namespace: "istio-system",
      controlPlane: { replicas: 1, autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 5 } },
      certificateAuthority: { type: "SelfSigned", deletionPolicy: "Retain" },
      security: { mtls: "STRICT", authorization: "AllowAll" },
    });
  });

  it("reports every problem with the API server's field path", () => {
    const result = validateSpec({
      version: "2.0",
      gateways: [{ name: "Bad_Name", namespace: "x", type: "ingress" }],
      controlPlane: { autoscaling: { minReplicas: 4, maxReplicas: 2 } },
      certificateAuthority: { type: "Secret" },
    });
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "spec.version",
        "spec.gateways[0].name",
        "spec.controlPlane.autoscaling.minReplicas",
        "spec.certificateAuthority.secret",
      ]),
    );
  });

  it("rejects a MeshConfig not named default, and one without spec", () => {
    expect(
      validateMeshConfig({ metadata: { name: "other" }, spec: { version: "1.29.2" } }),
    ).toMatchObject({
      ok: false,
      problems: [{ path: "metadata.name" }],
    });
    expect(validateMeshConfig({ metadata: { name: "default" } })).toMatchObject({
      ok: false,
      problems: [{ path: "spec" }],
    });
  });

  it("sums the problems up in one line for a status message", () => {
    const result = validateSpec({ version: "2.0", security: { mtls: "sometimes" } });
    expect(result.ok ? "" : describeProblems(result.problems)).toMatch(
      /^spec\.version: .+; spec\.security\.mtls: .+$/,
    );
  });

  it("writes paths like the API server", () => {
    expect(fieldPath(["spec", "gateways", 2, "service", "ports", 0, "port"])).toBe(
      "spec.gateways[2].service.ports[0].port",
    );
  });

  it("refuses a __proto__ key where zod's records would drop it silently", () => {
    const spec = JSON.parse(
      '{"version": "1.31.1", "meshConfig": {"__proto__": {"x": 1}, "defaultConfig": {"__proto__": 2}}}',
    ) as unknown;
    expect(validateSpec(spec)).toEqual({
      ok: false,
      problems: [
        { path: "spec.meshConfig", message: "the key __proto__ is not allowed" },
        { path: "spec.meshConfig.defaultConfig", message: "the key __proto__ is not allowed" },
      ],
    });
  });
});
