/**
 * spec.dataPlane.mode: what each mode renders. Ambient adds exactly Istio's ambient
 * inventory (the istio-cni agent's and ztunnel's objects), turns istiod's ambient support
 * on, adds the waypoint template, and in `ambient` alone stops namespace-label injection;
 * only the two node agents get node privileges.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { MeshConfigSpecInput } from "../../../operator/api/mesh-config-spec.ts";
import { validateSpec } from "../../../operator/api/validate.ts";
import { phaseName, phaseOf } from "../../../operator/reconcile/phases.ts";
import { OWNED_KINDS } from "../../../operator/reconcile/owned-kinds.ts";
import { render, type RenderedObject } from "../../../operator/render/render.ts";

function renderSpec(input: MeshConfigSpecInput): RenderedObject[] {
  const result = validateSpec(input);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return render(result.spec);
}

const name = ({ object: o }: RenderedObject) =>
  `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;

type Container = {
  name: string;
  env?: { name: string; value?: string }[];
  securityContext?: {
    capabilities?: { add?: string[]; drop?: string[] };
    runAsUser?: number;
    privileged?: boolean;
  };
};
type PodSpec = {
  containers: Container[];
  volumes?: { name: string; hostPath?: { path: string } }[];
  serviceAccountName?: string;
};

const podSpec = (r: RenderedObject) =>
  (r.object.spec as { template: { spec: PodSpec; metadata: { labels: Record<string, string> } } })
    .template;

function find(objects: RenderedObject[], kind: string, objectName: string): RenderedObject {
  const found = objects.find(
    (r) => r.object.kind === kind && r.object.metadata.name === objectName,
  );
  if (!found) throw new Error(`${kind} ${objectName} not rendered`);
  return found;
}

const env = (container: Container | undefined) =>
  Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));

const injectorConfig = (objects: RenderedObject[]) =>
  parse(
    (find(objects, "ConfigMap", "istio-sidecar-injector").object.data as { config: string }).config,
  ) as { policy: string; templates: Record<string, string> };

const webhookNames = (objects: RenderedObject[]) =>
  (
    find(objects, "MutatingWebhookConfiguration", "istio-sidecar-injector").object as unknown as {
      webhooks: { name: string }[];
    }
  ).webhooks.map((w) => w.name);

const base = { version: "1.31.1" } as const;
const sidecar = renderSpec(base);
const ambient = renderSpec({ ...base, dataPlane: { mode: "ambient" } });
const both = renderSpec({ ...base, dataPlane: { mode: "both" } });

const AMBIENT_OBJECTS = [
  "ServiceAccount/istio-system/istio-cni",
  "ClusterRole//istio-cni",
  "ClusterRole//istio-cni-repair-role",
  "ClusterRole//istio-cni-ambient",
  "ClusterRoleBinding//istio-cni",
  "ClusterRoleBinding//istio-cni-repair-rolebinding",
  "ClusterRoleBinding//istio-cni-ambient",
  "ConfigMap/istio-system/istio-cni-config",
  "DaemonSet/istio-system/istio-cni-node",
  "ServiceAccount/istio-system/ztunnel",
  "DaemonSet/istio-system/ztunnel",
];

describe("spec.dataPlane.mode", () => {
  it("defaults to sidecar, which renders no ambient object and leaves istiod as it was", () => {
    const result = validateSpec(base);
    expect(result.ok && result.spec.dataPlane.mode).toBe("sidecar");
    expect(sidecar.filter((r) => r.component === "ztunnel" || r.component === "cni")).toEqual([]);
    const istiod = podSpec(find(sidecar, "Deployment", "istiod"));
    expect(env(istiod.spec.containers[0])).not.toHaveProperty("PILOT_ENABLE_AMBIENT");
    expect(istiod.metadata.labels).not.toHaveProperty("istio.io/dataplane-mode");
    expect(injectorConfig(sidecar).templates).not.toHaveProperty("waypoint");
  });

  it("refuses a mode it does not know, naming the field", () => {
    const result = validateSpec({ ...base, dataPlane: { mode: "sidecarless" } });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(!result.ok && result.problems)).toContain("dataPlane.mode");
  });

  for (const [mode, objects] of [
    ["ambient", ambient],
    ["both", both],
  ] as const) {
    it(`${mode}: adds exactly Istio's ambient inventory, nothing else`, () => {
      const added = objects.map(name).filter((n) => !sidecar.map(name).includes(n));
      expect(added.sort()).toEqual([...AMBIENT_OBJECTS].sort());
      const components = objects.filter((r) => r.component === "cni" || r.component === "ztunnel");
      expect(components.map(name).sort()).toEqual([...AMBIENT_OBJECTS].sort());
    });

    it(`${mode}: istiod serves ambient and trusts ztunnel's node account`, () => {
      const istiod = podSpec(find(objects, "Deployment", "istiod"));
      expect(env(istiod.spec.containers[0])).toMatchObject({
        PILOT_ENABLE_AMBIENT: "true",
        CA_TRUSTED_NODE_ACCOUNTS: "istio-system/ztunnel",
      });
      expect(istiod.metadata.labels["istio.io/dataplane-mode"]).toBe("none");
      expect(injectorConfig(objects).templates).toHaveProperty("waypoint");
      const mesh = parse(
        (find(objects, "ConfigMap", "istio").object.data as { mesh: string }).mesh,
      ) as { defaultConfig: { proxyMetadata: Record<string, string> } };
      expect(mesh.defaultConfig.proxyMetadata).toEqual({ ISTIO_META_ENABLE_HBONE: "true" });
    });
  }

  it("ambient: no namespace gets sidecars by label; pods that ask still do", () => {
    expect(injectorConfig(ambient).policy).toBe("disabled");
    expect(webhookNames(ambient)).toEqual([
      "rev.object.sidecar-injector.istio.io",
      "object.sidecar-injector.istio.io",
    ]);
    expect(injectorConfig(both).policy).toBe("enabled");
    expect(webhookNames(both)).toEqual(webhookNames(sidecar));
  });

  it("both with spec.sidecarInjector.enabled false is ambient with opt-in sidecars", () => {
    const objects = renderSpec({
      ...base,
      dataPlane: { mode: "both" },
      sidecarInjector: { enabled: false },
    });
    expect(webhookNames(objects)).toEqual(webhookNames(ambient));
  });

  it("points ztunnel at the control plane's namespace and revision", () => {
    const objects = renderSpec({
      ...base,
      namespace: "mesh-cp",
      revision: "canary",
      dataPlane: { mode: "ambient" },
    });
    const ztunnel = podSpec(find(objects, "DaemonSet", "ztunnel")).spec.containers[0];
    expect(env(ztunnel)).toMatchObject({
      CA_ADDRESS: "istiod-canary.mesh-cp.svc:15012",
      XDS_ADDRESS: "istiod-canary.mesh-cp.svc:15012",
      ISTIO_META_ENABLE_HBONE: "true",
    });
    const istiod = podSpec(find(objects, "Deployment", "istiod-canary")).spec.containers[0];
    expect(env(istiod).CA_TRUSTED_NODE_ACCOUNTS).toBe("mesh-cp/ztunnel");
    for (const r of objects.filter((o) => o.object.kind === "DaemonSet"))
      expect(r.object.metadata.namespace).toBe("mesh-cp");
  });

  it("DenyAll with ambient: allow-nothing for every waypoint too, bound by its GatewayClass", () => {
    const policies = (input: MeshConfigSpecInput) =>
      renderSpec(input)
        .filter((r) => r.object.kind === "AuthorizationPolicy")
        .map((r) => r.object);
    const denyAll = { security: { authorization: "DenyAll" } } as const;
    for (const mode of ["ambient", "both"] as const) {
      const waypoints = policies({ ...base, ...denyAll, dataPlane: { mode } }).find(
        (p) => p.metadata.name === "allow-nothing-waypoints",
      );
      // An ALLOW without rules in the root namespace, attached to the waypoints' class.
      expect(waypoints).toMatchObject({
        apiVersion: "security.istio.io/v1",
        metadata: { namespace: "istio-system" },
        spec: {
          targetRefs: [
            { group: "gateway.networking.k8s.io", kind: "GatewayClass", name: "istio-waypoint" },
          ],
        },
      });
      expect(Object.keys(waypoints?.spec as object)).toEqual(["targetRefs"]);
    }
    // No waypoints without ambient; nothing to deny with AllowAll.
    const names = (input: MeshConfigSpecInput) => policies(input).map((p) => p.metadata.name);
    expect(names({ ...base, ...denyAll })).not.toContain("allow-nothing-waypoints");
    expect(names({ ...base, ...denyAll })).toContain("allow-nothing");
    expect(names({ ...base, dataPlane: { mode: "ambient" } })).toEqual([]);
  });

  it("rolls the node agents out in istiod's phase, and watches DaemonSets", () => {
    for (const r of ambient.filter((o) => o.object.kind === "DaemonSet"))
      expect(phaseName(phaseOf(r))).toBe("istiod");
    expect(OWNED_KINDS).toContainEqual({ apiVersion: "apps/v1", kind: "DaemonSet" });
  });
});

describe("node privileges", () => {
  const workloads = (objects: RenderedObject[]) =>
    objects.filter((r) => r.object.kind === "Deployment" || r.object.kind === "DaemonSet");

  it("go to ztunnel and the CNI agent only, each exactly what it needs", () => {
    const privileges = Object.fromEntries(
      workloads(
        renderSpec({
          ...base,
          dataPlane: { mode: "ambient" },
          gateways: [{ name: "gw", namespace: "ingress", type: "ingress" }],
        }),
      ).map((r) => {
        const spec = podSpec(r).spec;
        return [
          r.object.metadata.name,
          {
            added: spec.containers.flatMap((c) => c.securityContext?.capabilities?.add ?? []),
            root: spec.containers.some((c) => c.securityContext?.runAsUser === 0),
            privileged: spec.containers.some((c) => c.securityContext?.privileged === true),
            hostPaths: (spec.volumes ?? []).flatMap((v) => (v.hostPath ? [v.hostPath.path] : [])),
          },
        ];
      }),
    );
    expect(privileges).toEqual({
      istiod: { added: [], root: false, privileged: false, hostPaths: [] },
      gw: { added: [], root: false, privileged: false, hostPaths: [] },
      "istio-cni-node": {
        added: ["NET_ADMIN", "NET_RAW", "SYS_PTRACE", "SYS_ADMIN", "DAC_OVERRIDE"],
        root: true,
        privileged: false,
        hostPaths: [
          "/opt/cni/bin",
          "/proc",
          "/var/run/ztunnel",
          "/etc/cni/net.d",
          "/var/run/istio-cni",
          "/var/run/netns",
        ],
      },
      ztunnel: {
        added: ["NET_ADMIN", "SYS_ADMIN", "NET_RAW"],
        root: true,
        privileged: false,
        hostPaths: ["/var/run/ztunnel"],
      },
    });
    for (const r of workloads(ambient))
      for (const c of podSpec(r).spec.containers)
        expect(c.securityContext?.capabilities?.drop).toEqual(["ALL"]);
  });

  it("gives ztunnel no RBAC and the CNI agent read access plus pod status", () => {
    const roles = ambient.filter((r) => r.object.kind === "ClusterRole" && r.component === "cni");
    const rules = roles.flatMap(
      (r) => r.object.rules as { resources: string[]; verbs: string[] }[],
    );
    const writes = rules.filter((rule) =>
      rule.verbs.some((v) => !["get", "list", "watch"].includes(v)),
    );
    expect(writes).toEqual([
      { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
      { apiGroups: [""], resources: ["pods/status"], verbs: ["patch", "update"] },
    ]);
    const bound = ambient
      .filter((r) => r.object.kind === "ClusterRoleBinding" || r.object.kind === "RoleBinding")
      .flatMap((r) => r.object.subjects as { name: string }[])
      .map((s) => s.name);
    expect(bound).not.toContain("ztunnel");
  });
});
