/**
 * The MeshConfig API against the real API server: samples are accepted with the
 * documented defaults, a table of invalid objects is each rejected at admission with a
 * message naming the field, and generated specs show that the zod schema and the CRD
 * agree (what one accepts the other accepts, and the stored object is zod's output).
 */
import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { validateMeshConfig, validateSpec } from "../../operator/api/validate.ts";
import { mutatedSpec, validSpec } from "../fixtures/meshconfig-arbitraries.ts";
import {
  customObjects,
  dryRunCreate,
  installMeshConfigCrd,
  meshConfig,
  replace,
  target,
} from "./meshconfig-client.ts";

const SAMPLES = new URL("../../config/samples/", import.meta.url);
const BASE = { version: "1.29.2" };
const gw = (extra: Record<string, unknown> = {}) => ({
  name: "ingress",
  namespace: "istio-ingress",
  type: "ingress",
  ...extra,
});
const long = (n: number) => "a".repeat(n);

beforeAll(installMeshConfigCrd);

describe("MeshConfig samples", () => {
  for (const file of readdirSync(SAMPLES).filter((f) => f.endsWith(".yaml"))) {
    it(`accepts ${file}, storing exactly what the zod schema yields`, async () => {
      const sample = parse(readFileSync(new URL(file, SAMPLES), "utf8")) as Record<string, unknown>;
      const admission = await dryRunCreate(sample);
      expect(admission).toMatchObject({ accepted: true });
      const zod = validateMeshConfig(sample as never);
      expect(zod.ok && admission.accepted && admission.object.spec).toEqual(zod.ok && zod.spec);
    });
  }

  it("defaults a minimal MeshConfig as documented, with observedGeneration -1", async () => {
    const admission = await dryRunCreate(meshConfig(BASE));
    if (!admission.accepted) throw new Error(admission.message);
    expect(admission.object.spec).toEqual({
      version: "1.29.2",
      hub: "docker.io/istio",
      namespace: "istio-system",
      controlPlane: {
        replicas: 1,
        autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 5, targetCPUUtilization: 80 },
        logLevel: "info",
      },
      sidecarInjector: {
        enabled: true,
        proxy: { logLevel: "warning", holdApplicationUntilProxyStarts: true },
      },
      certificateAuthority: { type: "SelfSigned", deletionPolicy: "Retain" },
      security: { mtls: "STRICT", authorization: "AllowAll" },
      telemetry: { accessLogging: false },
    });
    expect(admission.object.status).toEqual({ observedGeneration: -1 });
  });
});

/** [what is wrong, the object, text the API server's message must contain] */
const INVALID: [string, Record<string, unknown>, string][] = [
  ["no spec", meshConfig(undefined), "spec: Required value"],
  ["no version", meshConfig({ hub: "docker.io/istio" }), "spec.version: Required value"],
  ["version as a number", meshConfig({ version: 1.29 }), "spec.version: Invalid value"],
  ["version without patch", meshConfig({ version: "1.29" }), "spec.version: Invalid value"],
  ["version 2.x", meshConfig({ version: "2.0.0" }), "spec.version: Invalid value"],
  ["version with v prefix", meshConfig({ version: "v1.29.2" }), "spec.version: Invalid value"],
  [
    "oversized version",
    meshConfig({ version: `1.29.${"9".repeat(40)}` }),
    "spec.version: Too long",
  ],
  ["name other than default", meshConfig(BASE, "production"), "metadata.name must be 'default'"],
  [
    "hub with upper case",
    meshConfig({ ...BASE, hub: "Docker.IO/istio" }),
    "spec.hub: Invalid value",
  ],
  ["oversized hub", meshConfig({ ...BASE, hub: long(300) }), "spec.hub: Too long"],
  [
    "namespace not a DNS label",
    meshConfig({ ...BASE, namespace: "Istio_System" }),
    "spec.namespace: Invalid value",
  ],
  ["oversized namespace", meshConfig({ ...BASE, namespace: long(64) }), "spec.namespace: Too long"],
  [
    "revision not a DNS label",
    meshConfig({ ...BASE, revision: "canary!" }),
    "spec.revision: Invalid value",
  ],
  [
    "replicas as text",
    meshConfig({ ...BASE, controlPlane: { replicas: "two" } }),
    "spec.controlPlane.replicas: Invalid value",
  ],
  [
    "negative replicas",
    meshConfig({ ...BASE, controlPlane: { replicas: -1 } }),
    "spec.controlPlane.replicas: Invalid value",
  ],
  [
    "too many replicas",
    meshConfig({ ...BASE, controlPlane: { replicas: 1001 } }),
    "spec.controlPlane.replicas: Invalid value",
  ],
  [
    "autoscaling min above max",
    meshConfig({ ...BASE, controlPlane: { autoscaling: { minReplicas: 5, maxReplicas: 2 } } }),
    "spec.controlPlane.autoscaling.minReplicas: Invalid value",
  ],
  [
    "autoscaling min 0",
    meshConfig({ ...BASE, controlPlane: { autoscaling: { minReplicas: 0 } } }),
    "spec.controlPlane.autoscaling.minReplicas",
  ],
  [
    "CPU target above 100%",
    meshConfig({ ...BASE, controlPlane: { autoscaling: { targetCPUUtilization: 101 } } }),
    "spec.controlPlane.autoscaling.targetCPUUtilization",
  ],
  [
    "autoscaling enabled as text",
    meshConfig({ ...BASE, controlPlane: { autoscaling: { enabled: "yes" } } }),
    "spec.controlPlane.autoscaling.enabled",
  ],
  [
    "unknown istiod log level",
    meshConfig({ ...BASE, controlPlane: { logLevel: "verbose" } }),
    "spec.controlPlane.logLevel: Unsupported value",
  ],
  [
    "CPU request not a quantity",
    meshConfig({ ...BASE, controlPlane: { resources: { requests: { cpu: "lots" } } } }),
    "spec.controlPlane.resources.requests.cpu",
  ],
  [
    "unknown toleration operator",
    meshConfig({ ...BASE, controlPlane: { tolerations: [{ key: "k", operator: "Maybe" }] } }),
    "spec.controlPlane.tolerations[0].operator: Unsupported value",
  ],
  [
    "too many tolerations",
    meshConfig({
      ...BASE,
      controlPlane: { tolerations: Array.from({ length: 33 }, () => ({ operator: "Exists" })) },
    }),
    "spec.controlPlane.tolerations: Too many",
  ],
  [
    "oversized node selector value",
    meshConfig({ ...BASE, controlPlane: { nodeSelector: { disk: long(5000) } } }),
    "spec.controlPlane.nodeSelector.disk: Too long",
  ],
  [
    "injector enabled as text",
    meshConfig({ ...BASE, sidecarInjector: { enabled: "true" } }),
    "spec.sidecarInjector.enabled: Invalid value",
  ],
  [
    "unknown proxy log level",
    meshConfig({ ...BASE, sidecarInjector: { proxy: { logLevel: "loud" } } }),
    "spec.sidecarInjector.proxy.logLevel: Unsupported value",
  ],
  [
    "gateways not a list",
    meshConfig({ ...BASE, gateways: { name: "x" } }),
    "spec.gateways: Invalid value",
  ],
  [
    "gateway without name",
    meshConfig({ ...BASE, gateways: [{ namespace: "n", type: "ingress" }] }),
    "spec.gateways[0].name: Required value",
  ],
  [
    "gateway without namespace",
    meshConfig({ ...BASE, gateways: [{ name: "g", type: "ingress" }] }),
    "spec.gateways[0].namespace: Required value",
  ],
  [
    "unknown gateway type",
    meshConfig({ ...BASE, gateways: [gw({ type: "sideways" })] }),
    "spec.gateways[0].type: Unsupported value",
  ],
  [
    "duplicate gateway in a namespace",
    meshConfig({ ...BASE, gateways: [gw(), gw({ type: "egress" })] }),
    "spec.gateways[1]: Duplicate value",
  ],
  [
    "gateway name not a DNS label",
    meshConfig({ ...BASE, gateways: [gw({ name: "Ingress_GW" })] }),
    "spec.gateways[0].name: Invalid value",
  ],
  [
    "port 0",
    meshConfig({ ...BASE, gateways: [gw({ service: { ports: [{ name: "http", port: 0 }] } })] }),
    "spec.gateways[0].service.ports[0].port",
  ],
  [
    "port 70000",
    meshConfig({
      ...BASE,
      gateways: [gw({ service: { ports: [{ name: "http", port: 70000 }] } })],
    }),
    "spec.gateways[0].service.ports[0].port",
  ],
  [
    "target port out of range",
    meshConfig({
      ...BASE,
      gateways: [gw({ service: { ports: [{ name: "http", port: 80, targetPort: 70000 }] } })],
    }),
    "spec.gateways[0].service.ports[0].targetPort",
  ],
  [
    "target port name with spaces",
    meshConfig({
      ...BASE,
      gateways: [gw({ service: { ports: [{ name: "http", port: 80, targetPort: "http port" }] } })],
    }),
    "spec.gateways[0].service.ports[0].targetPort",
  ],
  [
    "unknown service type",
    meshConfig({ ...BASE, gateways: [gw({ service: { type: "External" } })] }),
    "spec.gateways[0].service.type: Unsupported value",
  ],
  [
    "duplicate port names",
    meshConfig({
      ...BASE,
      gateways: [
        gw({
          service: {
            ports: [
              { name: "http", port: 80 },
              { name: "http", port: 81 },
            ],
          },
        }),
      ],
    }),
    "spec.gateways[0].service.ports[1]: Duplicate value",
  ],
  [
    "gateway autoscaling min above max",
    meshConfig({ ...BASE, gateways: [gw({ autoscaling: { minReplicas: 3, maxReplicas: 1 } })] }),
    "spec.gateways[0].autoscaling.minReplicas: Invalid value",
  ],
  [
    "too many gateways",
    meshConfig({ ...BASE, gateways: Array.from({ length: 65 }, (_, i) => gw({ name: `g${i}` })) }),
    "spec.gateways: Too many",
  ],
  [
    "CA type Secret without secret",
    meshConfig({ ...BASE, certificateAuthority: { type: "Secret" } }),
    "spec.certificateAuthority.secret: Required value",
  ],
  [
    "secret given for a self-signed CA",
    meshConfig({ ...BASE, certificateAuthority: { type: "SelfSigned", secret: { name: "mine" } } }),
    "spec.certificateAuthority.secret",
  ],
  [
    "unknown CA type",
    meshConfig({ ...BASE, certificateAuthority: { type: "Vault" } }),
    "spec.certificateAuthority.type: Unsupported value",
  ],
  [
    "root validity not a duration",
    meshConfig({ ...BASE, certificateAuthority: { selfSigned: { rootValidity: "10 years" } } }),
    "spec.certificateAuthority.selfSigned.rootValidity: Invalid value",
  ],
  [
    "unknown key algorithm",
    meshConfig({ ...BASE, certificateAuthority: { selfSigned: { keyAlgorithm: "DSA" } } }),
    "spec.certificateAuthority.selfSigned.keyAlgorithm: Unsupported value",
  ],
  [
    "oversized organization",
    meshConfig({ ...BASE, certificateAuthority: { selfSigned: { organization: long(65) } } }),
    "spec.certificateAuthority.selfSigned.organization: Too long",
  ],
  [
    "secret name with spaces",
    meshConfig({
      ...BASE,
      certificateAuthority: { type: "Secret", secret: { name: "my secret" } },
    }),
    "spec.certificateAuthority.secret.name: Invalid value",
  ],
  [
    "unknown deletion policy",
    meshConfig({ ...BASE, certificateAuthority: { deletionPolicy: "Orphan" } }),
    "spec.certificateAuthority.deletionPolicy",
  ],
  [
    "mtls in lower case",
    meshConfig({ ...BASE, security: { mtls: "strict" } }),
    "spec.security.mtls: Unsupported value",
  ],
  [
    "unknown authorization",
    meshConfig({ ...BASE, security: { authorization: "DenyOne" } }),
    "spec.security.authorization: Unsupported value",
  ],
  [
    "sampling above 100%",
    meshConfig({ ...BASE, telemetry: { tracing: { address: "otel:4317", samplingPercent: 150 } } }),
    "spec.telemetry.tracing.samplingPercent: Invalid value",
  ],
  [
    "tracing without address",
    meshConfig({ ...BASE, telemetry: { tracing: { provider: "otel" } } }),
    "spec.telemetry.tracing.address: Required value",
  ],
  [
    "tracing address without port",
    meshConfig({ ...BASE, telemetry: { tracing: { address: "otel" } } }),
    "spec.telemetry.tracing.address: Invalid value",
  ],
  [
    "unknown tracing provider",
    meshConfig({ ...BASE, telemetry: { tracing: { provider: "jaeger", address: "j:1" } } }),
    "spec.telemetry.tracing.provider: Unsupported value",
  ],
  [
    "access logging as text",
    meshConfig({ ...BASE, telemetry: { accessLogging: "yes" } }),
    "spec.telemetry.accessLogging: Invalid value",
  ],
  [
    "mesh config not an object",
    meshConfig({ ...BASE, meshConfig: "accessLogFile" }),
    "spec.meshConfig: Invalid value",
  ],
];

describe("invalid MeshConfigs", () => {
  it("has a table of at least 40 cases", () => {
    expect(INVALID.length).toBeGreaterThanOrEqual(40);
  });

  it.each(INVALID)("rejects %s at admission, naming the field", async (_what, body, expected) => {
    const admission = await dryRunCreate(body);
    expect(admission).toMatchObject({ accepted: false, status: 422 });
    expect(admission.accepted ? "" : admission.message).toContain(expected);
    // The reconciler's own validation agrees: it would refuse the same object.
    expect(validateMeshConfig(body as never).ok).toBe(false);
  });

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
          // Both refuse: the reconciler never sees it. (zod may be stricter on input
          // the API server prunes, e.g. nulls; that is checked on the stored form below.)
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
