import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../operator/kube/object.ts";
import {
  BUNDLE_VERSION,
  GATEWAY_CRD,
  gatewayApiRefusal,
  keepsNewerGatewayApi,
  parseBundleVersion,
} from "../../../operator/reconcile/gateway-api-check.ts";

const crd = (version?: string): KubeObject => ({
  ...GATEWAY_CRD,
  metadata: {
    ...GATEWAY_CRD.metadata,
    ...(version ? { annotations: { [BUNDLE_VERSION]: version } } : {}),
  },
});
const need = (crds: "Managed" | "External", enabled = true) => ({
  enabled,
  crds,
  version: "v1.6.0",
});

describe("the cluster's Gateway API CRDs against the minor's need", () => {
  it("reads bundle versions, pre-releases by their numbers", () => {
    expect(parseBundleVersion("v1.6.0")).toEqual([1, 6, 0]);
    expect(parseBundleVersion("v1.5.0-dev")).toEqual([1, 5, 0]);
    expect(parseBundleVersion("1.6.0")).toBeUndefined();
    expect(parseBundleVersion(undefined)).toBeUndefined();
  });

  it("External: refuses missing CRDs and an older minor, accepts any patch of the minor or later", () => {
    expect(gatewayApiRefusal(need("External"), undefined, "managed")).toMatch(
      /no Gateway API CRDs \(gateways\.gateway\.networking\.k8s\.io\).*v1\.6\.0.*standard-install\.yaml/,
    );
    expect(gatewayApiRefusal(need("External"), crd("v1.5.1"), "managed")).toMatch(
      /are v1\.5\.1, older than the v1\.6\.0/,
    );
    expect(gatewayApiRefusal(need("External"), crd(), "managed")).toMatch(/unknown version/);
    for (const fine of ["v1.6.0", "v1.6.3", "v1.7.0"])
      expect(gatewayApiRefusal(need("External"), crd(fine), "managed"), fine).toBeUndefined();
  });

  it("--istio-crds=external (OLM) makes them the cluster's too", () => {
    expect(gatewayApiRefusal(need("Managed"), undefined, "external")).toMatch(
      /no Gateway API CRDs/,
    );
    expect(gatewayApiRefusal(need("Managed"), crd("v1.6.0"), "external")).toBeUndefined();
  });

  it("Managed: installs over none, older or equal ones, keeps newer ones (never downgrades)", () => {
    for (const fine of [undefined, crd("v1.4.1"), crd("v1.6.0"), crd("v1.6.1"), crd("v1.7.0")])
      expect(gatewayApiRefusal(need("Managed"), fine, "managed")).toBeUndefined();
    for (const ours of [undefined, crd("v1.4.1"), crd("v1.6.0")])
      expect(keepsNewerGatewayApi(need("Managed"), ours)).toBe(false);
    for (const newer of [crd("v1.6.1"), crd("v1.7.0")])
      expect(keepsNewerGatewayApi(need("Managed"), newer)).toBe(true);
    expect(keepsNewerGatewayApi(need("External"), crd("v1.7.0"))).toBe(false);
    expect(keepsNewerGatewayApi(need("Managed", false), crd("v1.7.0"))).toBe(false);
  });

  it("asks nothing of the cluster when the Gateway API is off", () => {
    expect(gatewayApiRefusal(need("External", false), undefined, "external")).toBeUndefined();
  });
});
