import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { MeshConfigSpec } from "../../../operator/api/mesh-config-spec.ts";
import { describeProblems, validateSpec } from "../../../operator/api/validate.ts";
import { desiredFromSpec } from "../../../operator/reconcile/desired.ts";
import { checkRenderedObjects } from "../../../operator/render/identity-check.ts";
import { identityOf } from "../../../operator/render/origin.ts";
import { render, type RenderedObject } from "../../../operator/render/render.ts";
import { INVALID_AFTER_ADMISSION } from "../../fixtures/apply-time-invalid-meshconfigs.ts";
import { validSpec } from "../../fixtures/meshconfig-arbitraries.ts";

const SUPPORTED = ["1.29.2", "1.30.0"];

function valid(input: unknown): MeshConfigSpec {
  const result = validateSpec(input);
  if (!result.ok) throw new Error(describeProblems(result.problems));
  return result.spec;
}

/** A spec that skips validation, as one stored before today's rules could be. */
function unchecked(spec: MeshConfigSpec, gateways: unknown[]): MeshConfigSpec {
  return { ...spec, gateways: gateways as MeshConfigSpec["gateways"] };
}

const BASE = valid({ version: "1.29.2", security: { authorization: "DenyAll" } });
const gateway = (name: string, namespace: string) => ({ name, namespace, type: "ingress" });
const messages = (spec: MeshConfigSpec, objects = render(spec)) =>
  describeProblems(checkRenderedObjects(spec, objects));

describe("rendered objects of every valid spec", () => {
  it("have distinct identities and pass every pre-apply check", () => {
    fc.assert(
      fc.property(validSpec, fc.constantFrom(...SUPPORTED), (input, version) => {
        const spec = valid({ ...input, version });
        const objects = render(spec);
        const identities = objects.map(identityOf);
        expect(new Set(identities).size).toBe(identities.length);
        expect(checkRenderedObjects(spec, objects)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  }, 120_000);
});

describe("the pre-apply check", () => {
  it("names both fields when a gateway would overwrite istiod's objects", () => {
    const spec = unchecked(BASE, [gateway("istiod", "istio-system")]);
    const text = messages(spec);
    expect(text).toContain(
      "spec.gateways[0]: renders Deployment istio-system/istiod, which spec.namespace renders too",
    );
    expect(text).toContain("Service istio-system/istiod, which spec.namespace renders too");
    expect(text).toContain("ServiceAccount istio-system/istiod");
  });

  it("refuses a revisioned gateway whose pods istiod's selector would adopt", () => {
    const spec = unchecked(valid({ ...BASE, revision: "canary" }), [
      gateway("istiod", "istio-system"),
    ]);
    expect(messages(spec)).toMatch(
      /spec\.revision: Deployment istio-system\/istiod-canary selects the pods of Deployment istio-system\/istiod-canary and Deployment istio-system\/istiod/,
    );
  });

  it("refuses an ALLOW policy in the root namespace, where copied labels would borrow it", () => {
    const spec = unchecked(BASE, [gateway("ingress", "istio-system")]);
    expect(messages(spec)).toContain(
      "spec.gateways[0]: AuthorizationPolicy istio-system/meshkeeper-allow-ingress would sit in Istio's root namespace istio-system",
    );
  });

  it("refuses an ALLOW policy without a selector, or one that selects no workload", () => {
    const spec = valid({ ...BASE, gateways: [gateway("ingress", "edge")] });
    const objects = render(spec).map((r): RenderedObject => {
      if (r.object.metadata.name !== "meshkeeper-allow-ingress") return r;
      return { ...r, object: { ...r.object, spec: { action: "ALLOW", rules: [{}] } } };
    });
    expect(messages(spec, objects)).toContain(
      "spec.gateways[0]: AuthorizationPolicy edge/meshkeeper-allow-ingress has no selector",
    );
    const stray = render(spec).map((r): RenderedObject => {
      if (r.object.metadata.name !== "meshkeeper-allow-ingress") return r;
      const policy = { selector: { matchLabels: { app: "other" } }, rules: [{}] };
      return { ...r, object: { ...r.object, spec: policy } };
    });
    expect(messages(spec, stray)).toContain("selects the pods of no rendered Deployment");
  });

  it("refuses names and label values the API server would refuse", () => {
    const spec = unchecked(BASE, [gateway("9-lives", "edge")]);
    expect(messages(spec)).toContain(
      "spec.gateways[0]: renders Service edge/9-lives, whose name is not a DNS-1035 label",
    );
    const long = unchecked(valid({ ...BASE, revision: "r" }), []);
    const objects = render({ ...long, revision: "r".repeat(60) });
    expect(messages({ ...long, revision: "r".repeat(60) }, objects)).toContain(
      "whose name is not a DNS-1035 label",
    );
  });

  it("refuses Service port clashes the API server would refuse", () => {
    const ports = [
      { name: "a", port: 80, targetPort: 80, protocol: "TCP", nodePort: 30080 },
      { name: "b", port: 80, targetPort: 80, protocol: "TCP" },
      { name: "c", port: 81, targetPort: 81, protocol: "UDP", nodePort: 30080 },
    ];
    const spec = unchecked(BASE, [
      { ...gateway("ingress", "edge"), service: { type: "ClusterIP", ports } },
    ]);
    const text = messages(spec);
    expect(text).toContain("spec.gateways[0].service.ports[1].port: port 80/TCP is taken");
    expect(text).toContain(
      "spec.gateways[0].service.ports[0].nodePort: a node port needs a NodePort or LoadBalancer Service",
    );
    expect(text).toContain(
      "spec.gateways[0].service.ports[2].nodePort: node port 30080 is taken by another port number",
    );
  });

  it("lets 53/TCP and 53/UDP share one node port, as the API server does", () => {
    const spec = valid({
      ...BASE,
      gateways: [
        {
          ...gateway("dns", "edge"),
          service: {
            type: "NodePort",
            ports: [
              { name: "dns-tcp", port: 53, nodePort: 30053 },
              { name: "dns-udp", port: 53, nodePort: 30053, protocol: "UDP" },
            ],
          },
        },
      ],
    });
    expect(checkRenderedObjects(spec, render(spec))).toEqual([]);
  });

  it("refuses an autoscaler outside 1 <= min <= max", () => {
    const spec = valid({ ...BASE, gateways: [gateway("ingress", "edge")] });
    const objects = render(spec).map((r): RenderedObject => {
      if (r.object.kind !== "HorizontalPodAutoscaler" || r.object.metadata.namespace !== "edge")
        return r;
      const hpa = r.object.spec as Record<string, unknown>;
      return { ...r, object: { ...r.object, spec: { ...hpa, minReplicas: 0 } } };
    });
    expect(messages(spec, objects)).toContain(
      "spec.gateways[0]: HorizontalPodAutoscaler edge/ingress needs 1 <= minReplicas (0)",
    );
  });
});

describe("the reconciler's desired state", () => {
  it.each(INVALID_AFTER_ADMISSION)(
    "refuses %s as InvalidSpec, naming the field",
    (_what, spec, expected) => {
      expect(validateSpec(spec).ok).toBe(true);
      const desired = desiredFromSpec({
        apiVersion: "meshkeeper.dev/v1alpha1",
        kind: "MeshConfig",
        metadata: { name: "default", uid: "u1", generation: 1 },
        spec,
      });
      expect(desired).toMatchObject({ kind: "refused", reason: "InvalidSpec" });
      expect(desired.kind === "refused" ? desired.message : "").toContain(expected);
    },
  );
});
