import { describe as suite, expect, it } from "vitest";
import {
  describe,
  groupKind,
  groupOf,
  identity,
  type ObjectRef,
} from "../../../operator/reconcile/identity.ts";

const istiod: ObjectRef = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "istiod", namespace: "istio-system" },
};
const clusterRole: ObjectRef = {
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRole",
  metadata: { name: "istiod-clusterrole-istio-system" },
};

suite("groupOf and groupKind", () => {
  it("takes the group from apiVersion, empty for the core group", () => {
    expect(groupOf("v1")).toBe("");
    expect(groupOf("apps/v1")).toBe("apps");
    expect(groupOf("security.istio.io/v1beta1")).toBe("security.istio.io");
  });

  it("writes Kind.group, or the bare kind for the core group", () => {
    expect(groupKind("v1", "Service")).toBe("Service");
    expect(groupKind("apps/v1", "Deployment")).toBe("Deployment.apps");
    expect(groupKind("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration")).toBe(
      "ValidatingWebhookConfiguration.admissionregistration.k8s.io",
    );
  });
});

suite("identity", () => {
  it("is group-kind/namespace/name, with an empty namespace for cluster-scoped objects", () => {
    expect(identity(istiod)).toBe("Deployment.apps/istio-system/istiod");
    expect(identity(clusterRole)).toBe(
      "ClusterRole.rbac.authorization.k8s.io//istiod-clusterrole-istio-system",
    );
    expect(
      identity({ apiVersion: "v1", kind: "Namespace", metadata: { name: "istio-system" } }),
    ).toBe("Namespace//istio-system");
  });

  it("ignores the version: one object served at two versions is one identity", () => {
    const v2 = {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: istiod.metadata,
    };
    const v1 = { ...v2, apiVersion: "autoscaling/v1" };
    expect(identity(v1)).toBe(identity(v2));
    expect(identity(v2)).toBe("HorizontalPodAutoscaler.autoscaling/istio-system/istiod");
  });

  it("tells apart the same name in another namespace, kind or group", () => {
    const ids = new Set([
      identity(istiod),
      identity({ ...istiod, metadata: { name: "istiod", namespace: "istio-ingress" } }),
      identity({ ...istiod, apiVersion: "v1", kind: "Service" }),
      identity({ ...istiod, apiVersion: "extensions.example.com/v1" }),
    ]);
    expect(ids.size).toBe(4);
  });
});

suite("describe", () => {
  it("names an object for messages: Kind namespace/name, or Kind name", () => {
    expect(describe(istiod)).toBe("Deployment istio-system/istiod");
    expect(describe(clusterRole)).toBe("ClusterRole istiod-clusterrole-istio-system");
    expect(describe({ ...istiod, metadata: { name: "istiod", namespace: "" } })).toBe(
      "Deployment istiod",
    );
  });
});
