import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { validateSpec } from "../../../operator/api/validate.ts";
import { gatewayApiVersions } from "../../../operator/api/gateway-api-crds.ts";
import { ISTIO_MINORS } from "../../../operator/render/istio-versions.ts";
import { render } from "../../../operator/render/render.ts";
import { mesh } from "../../fixtures/test-mesh.ts";

type Json = Record<string, any>;

function rendered(spec: Record<string, unknown>) {
  const result = validateSpec(mesh(spec).spec);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return render(result.spec).map((r) => r.object as Json);
}

const gatewayCrds = (objects: Json[]) =>
  objects.filter(
    (o) => o.kind === "CustomResourceDefinition" && o.spec.group === "gateway.networking.k8s.io",
  );
const istiodEnv = (objects: Json[]) =>
  Object.fromEntries(
    (
      objects.find((o) => o.kind === "Deployment" && o.metadata.name === "istiod")?.spec.template
        .spec.containers[0].env as Json[]
    ).map((e) => [e.name, e.value]),
  );
const templates = (objects: Json[]) => {
  const config = objects.find(
    (o) => o.kind === "ConfigMap" && o.metadata.name === "istio-sidecar-injector",
  );
  return Object.keys((parse(config?.data.config as string) as Json).templates as object);
};

describe("the Gateway API in the rendered mesh", () => {
  it("installs each minor's standard channel at its own version (Managed, the default)", () => {
    expect(gatewayApiVersions()).toEqual(["v1.4.1", "v1.5.1", "v1.6.0"]);
    for (const minor of ISTIO_MINORS) {
      const crds = gatewayCrds(rendered({ version: `${minor.minor}.0` }));
      expect(crds.length, minor.minor).toBeGreaterThanOrEqual(6);
      for (const crd of crds) {
        expect(crd.metadata.annotations["gateway.networking.k8s.io/bundle-version"]).toBe(
          minor.gatewayAPI,
        );
        expect(crd.metadata.annotations["gateway.networking.k8s.io/channel"]).toBe("standard");
      }
      expect(crds.map((c) => c.metadata.name)).toContain("httproutes.gateway.networking.k8s.io");
    }
  });

  it("turns istiod's deployment controller on, with its RBAC and the kube-gateway template", () => {
    const objects = rendered({});
    const env = istiodEnv(objects);
    expect(env.PILOT_ENABLE_GATEWAY_API).toBe("true");
    expect(env.PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER).toBe("true");
    expect(env.PILOT_ENABLE_GATEWAY_API_GATEWAYCLASS_CONTROLLER).toBe("true");
    const role = objects.find(
      (o) =>
        o.kind === "ClusterRole" && o.metadata.name === "istiod-gateway-controller-istio-system",
    );
    expect(role?.rules.map((r: Json) => `${r.apiGroups[0]}/${r.resources[0]}`)).toEqual([
      "apps/deployments",
      "autoscaling/horizontalpodautoscalers",
      "policy/poddisruptionbudgets",
      "/services",
      "/serviceaccounts",
    ]);
    expect(
      objects.some(
        (o) => o.kind === "ClusterRoleBinding" && o.metadata.name === role?.metadata.name,
      ),
    ).toBe(true);
    expect(templates(objects)).toContain("kube-gateway");
  });

  it("External: the same istiod, no CRDs", () => {
    const objects = rendered({ gatewayAPI: { crds: "External" } });
    expect(gatewayCrds(objects)).toEqual([]);
    expect(istiodEnv(objects).PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER).toBe("true");
  });

  it("enabled false: istiod ignores the Gateway API, nothing of it is installed", () => {
    const objects = rendered({ gatewayAPI: { enabled: false } });
    expect(gatewayCrds(objects)).toEqual([]);
    const env = istiodEnv(objects);
    expect(env.PILOT_ENABLE_GATEWAY_API).toBe("false");
    expect(env.PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER).toBe("false");
    expect(objects.some((o) => o.metadata.name.startsWith("istiod-gateway-controller"))).toBe(
      false,
    );
    expect(templates(objects)).not.toContain("kube-gateway");
  });

  it("refuses an unknown crds mode by field", () => {
    const result = validateSpec(mesh({ gatewayAPI: { crds: "Sometimes" } }).spec);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).toContain("gatewayAPI");
  });
});
