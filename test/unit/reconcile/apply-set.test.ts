import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  applySetId,
  groupKindsValue,
  isMember,
  NEVER_MEMBERS,
  parseGroupKinds,
} from "../../../operator/reconcile/apply-set.ts";

/** KEP-3659, computed here by hand: base64url(sha256("<name>.<namespace>.<Kind>.<group>")), unpadded. */
function kepId(name: string, namespace: string, kind: string, group: string): string {
  const base64 = createHash("sha256")
    .update(`${name}.${namespace}.${kind}.${group}`)
    .digest("base64");
  const base64url = base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  return `applyset-${base64url}-v1`;
}

describe("applySetId", () => {
  it("is the KEP-3659 id of the cluster-scoped MeshConfig parent", () => {
    expect(applySetId("default")).toBe(kepId("default", "", "MeshConfig", "meshkeeper.dev"));
    expect(applySetId("default")).toBe(
      `applyset-${createHash("sha256").update("default..MeshConfig.meshkeeper.dev").digest("base64url")}-v1`,
    );
  });

  it("is deterministic, unpadded base64url, and differs per parent name", () => {
    const id = applySetId("default");
    expect(applySetId("default")).toBe(id);
    // sha256 is 32 bytes: 43 base64url characters without padding.
    expect(id).toMatch(/^applyset-[A-Za-z0-9_-]{43}-v1$/);
    expect(id).not.toContain("=");
    expect(applySetId("other")).not.toBe(id);
    expect(applySetId("other")).toBe(kepId("other", "", "MeshConfig", "meshkeeper.dev"));
  });
});

describe("isMember", () => {
  it("keeps namespaces and CRDs out of the ApplySet, so they are never pruned", () => {
    expect([...NEVER_MEMBERS].sort()).toEqual(["CustomResourceDefinition", "Namespace"]);
    expect(isMember("Namespace")).toBe(false);
    expect(isMember("CustomResourceDefinition")).toBe(false);
    for (const kind of ["Deployment", "ConfigMap", "ValidatingWebhookConfiguration", "Telemetry"])
      expect(isMember(kind)).toBe(true);
  });
});

describe("group-kinds annotation", () => {
  it("is sorted, comma-separated and without duplicates", () => {
    expect(
      groupKindsValue([
        "Service",
        "Deployment.apps",
        "Service",
        "ConfigMap",
        "ClusterRole.rbac.authorization.k8s.io",
        "Deployment.apps",
      ]),
    ).toBe("ClusterRole.rbac.authorization.k8s.io,ConfigMap,Deployment.apps,Service");
    expect(groupKindsValue(new Set(["b", "a"]))).toBe("a,b");
    expect(groupKindsValue([])).toBe("");
  });

  it("parses back to the list, skipping empty entries", () => {
    expect(parseGroupKinds(undefined)).toEqual([]);
    expect(parseGroupKinds("")).toEqual([]);
    expect(parseGroupKinds("ConfigMap")).toEqual(["ConfigMap"]);
    expect(parseGroupKinds("ConfigMap,,Deployment.apps,")).toEqual([
      "ConfigMap",
      "Deployment.apps",
    ]);
    const kinds = ["Service", "Deployment.apps", "ConfigMap"];
    expect(parseGroupKinds(groupKindsValue(kinds))).toEqual([
      "ConfigMap",
      "Deployment.apps",
      "Service",
    ]);
  });
});
