/**
 * config/ as the kustomize install renders it: a least-privilege ClusterRole (no
 * wildcards, a comment on every rule, exactly the verbs the operator uses on every kind
 * it owns) and an operator Deployment at the Pod Security "restricted" level.
 * test/integration/least-privilege.test.ts proves the role is enough; this proves it is
 * not more than intended, and stays in step with operator/reconcile/owned-kinds.ts.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { PolicyRule } from "../../../operator/olm/csv.ts";
import { findObject as findTyped, kustomize, REPO_ROOT } from "../../../operator/olm/kustomize.ts";
import { OPERATOR_ENV, OPERATOR_NODE_FLAGS } from "../../../operator/local/background-operator.ts";
import { OWNED_KINDS } from "../../../operator/reconcile/owned-kinds.ts";

/** Tests walk the rendered objects freely. */
const findObject = (list: readonly any[], kind: string, name?: string): any =>
  findTyped(list, kind, name);

let objects: any[] = [];
let rules: PolicyRule[] = [];

beforeAll(async () => {
  objects = await kustomize("config/default");
  rules = findObject(objects, "ClusterRole").rules;
});

function allows(all: readonly PolicyRule[], group: string, resource: string, verb: string) {
  return all.some(
    (r) =>
      r.apiGroups?.includes(group) &&
      r.resources?.includes(resource) &&
      r.verbs.includes(verb) &&
      !r.resourceNames,
  );
}

function plural(kind: string): string {
  const lower = kind.toLowerCase();
  return lower.endsWith("y") ? `${lower.slice(0, -1)}ies` : `${lower}s`;
}

// Istio's CRD files, and the Gateway API's of every version (crds/gateway-api/<version>/).
const crdFiles = readdirSync(join(REPO_ROOT, "crds"), { recursive: true, encoding: "utf8" })
  .map((path) => path.split("/").at(-1) ?? "")
  .filter((file) => file.includes(".istio.io_") || file.startsWith("gateway.networking.k8s.io_"));
const writtenCrdNames = [
  ...new Set(
    crdFiles.map((file) => {
      const [group, name] = file.replace(/\.yaml$/, "").split("_");
      return `${name ?? ""}.${group ?? ""}`;
    }),
  ),
].sort();

describe("config/rbac: the operator's least-privilege ClusterRole", () => {
  it("has no wildcards", () => {
    expect(JSON.stringify(rules)).not.toContain("*");
  });

  it("says why for every rule: each starts under a comment", () => {
    const lines = readFileSync(join(REPO_ROOT, "config/rbac/cluster_role.yaml"), "utf8").split("\n");
    const starts = lines.flatMap((line, i) => (line.startsWith("  - apiGroups:") ? [i] : []));
    expect(starts).toHaveLength(rules.length);
    for (const i of starts) expect(lines[i - 1], lines[i]).toMatch(/^ {2}# \S/);
  });

  it("lets the operator watch, apply and delete every kind it owns", () => {
    for (const { apiVersion, kind } of OWNED_KINDS) {
      const group = apiVersion.includes("/") ? (apiVersion.split("/")[0] ?? "") : "";
      const verbs = ["get", "list", "watch"];
      // Istio's CRDs: written through a rule restricted to their names (next test).
      if (kind !== "CustomResourceDefinition") verbs.push("create", "patch");
      // Namespaces and CRDs hold the CA and every mesh's configuration: never deleted.
      if (kind !== "Namespace" && kind !== "CustomResourceDefinition") verbs.push("delete");
      for (const verb of verbs)
        expect(allows(rules, group, plural(kind), verb), `${verb} ${kind}`).toBe(true);
    }
    expect(allows(rules, "", "namespaces", "delete")).toBe(false);
    expect(allows(rules, "apiextensions.k8s.io", "customresourcedefinitions", "delete")).toBe(false);
  });

  it("writes Istio's and the Gateway API's CRDs and no other", () => {
    const crdWrites = rules.filter(
      (r) => r.resources?.includes("customresourcedefinitions") && r.verbs.includes("patch"),
    );
    expect(crdWrites).toEqual([
      {
        apiGroups: ["apiextensions.k8s.io"],
        resources: ["customresourcedefinitions"],
        resourceNames: writtenCrdNames,
        verbs: ["create", "patch"],
      },
    ]);
  });

  it("never updates or deletes the user's MeshConfig, only its metadata and status", () => {
    expect(allows(rules, "meshkeeper.dev", "meshconfigs", "patch")).toBe(true);
    expect(allows(rules, "meshkeeper.dev", "meshconfigs/status", "patch")).toBe(true);
    for (const verb of ["create", "update", "delete"])
      expect(allows(rules, "meshkeeper.dev", "meshconfigs", verb), verb).toBe(false);
  });

  it("reads Secrets only by name: it may not list or watch every Secret in the cluster", () => {
    for (const verb of ["get", "create", "update", "delete"])
      expect(allows(rules, "", "secrets", verb), verb).toBe(true);
    for (const verb of ["list", "watch", "patch"])
      expect(allows(rules, "", "secrets", verb), verb).toBe(false);
  });

  it("may grant istiod its RBAC (escalate, bind) and record events", () => {
    for (const resource of ["roles", "clusterroles"])
      for (const verb of ["escalate", "bind"])
        expect(allows(rules, "rbac.authorization.k8s.io", resource, verb)).toBe(true);
    expect(allows(rules, "events.k8s.io", "events", "create")).toBe(true);
  });

  it("keeps leader election to its own Lease in its own namespace", () => {
    const role = findObject(objects, "Role");
    expect(role.metadata.namespace).toBe("meshkeeper-system");
    expect(role.rules).toEqual([
      {
        apiGroups: ["coordination.k8s.io"],
        resources: ["leases"],
        resourceNames: ["meshkeeper-leader"],
        verbs: ["get", "update"],
      },
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
    ]);
    const binding = findObject(objects, "ClusterRoleBinding");
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: "meshkeeper", namespace: "meshkeeper-system" },
    ]);
  });
});

describe("config/manager: the operator Deployment", () => {
  it("runs two replicas of `meshkeeper run` with leader election and pod identity", () => {
    const deployment = findObject(objects, "Deployment");
    expect(deployment.spec.replicas).toBe(2);
    const [container] = deployment.spec.template.spec.containers;
    expect([...container.command, ...container.args]).toEqual([
      "node",
      ...OPERATOR_NODE_FLAGS,
      "dist/meshkeeper.js",
      "run",
      "--health-host=0.0.0.0",
      "--health-port=8081",
      "--leader-elect=true",
    ]);
    expect(container.env).toEqual([
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
      ...Object.entries(OPERATOR_ENV).map(([name, value]) => ({ name, value })),
    ]);
    expect(container.livenessProbe.httpGet.path).toBe("/healthz");
    expect(container.readinessProbe.httpGet.path).toBe("/readyz");
    expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
  });

  it("meets the restricted Pod Security level with a read-only root filesystem", () => {
    const pod = findObject(objects, "Deployment").spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.serviceAccountName).toBe("meshkeeper");
    expect(pod.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    const namespace = findObject(objects, "Namespace", "meshkeeper-system");
    expect(namespace.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });

  it("is what the Dockerfile's default command runs", () => {
    const dockerfile = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? "[]") as string[];
    const [container] = findObject(objects, "Deployment").spec.template.spec.containers;
    const command = container.command as string[];
    expect(cmd.slice(0, command.length + 1)).toEqual([...command, "run"]);
    // The same malloc settings as every other place the operator starts.
    for (const [name, value] of Object.entries(OPERATOR_ENV))
      expect(dockerfile).toMatch(new RegExp(`^ENV .*\\b${name}=${value}\\b`, "m"));
    expect(dockerfile).toMatch(/^USER 65532:65532$/m);
    // The runtime stage holds the bundle the build stage made, and no node_modules.
    const runtime = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
    expect(dockerfile).toContain("RUN node operator/build/operator-bundle.ts");
    expect(runtime).toContain("COPY --from=build /app/dist/meshkeeper.js ./dist/meshkeeper.js");
    expect(runtime).not.toContain("node_modules");
  });

  it("serves the probes' port as the metrics Service", () => {
    const service = findObject(objects, "Service", "meshkeeper-metrics");
    expect(service.spec.ports).toEqual([
      { name: "http-metrics", port: 8081, targetPort: "http-metrics", protocol: "TCP" },
    ]);
    expect(service.spec.selector).toEqual(
      findObject(objects, "Deployment").spec.selector.matchLabels,
    );
  });
});
