/**
 * Every workload the operator renders (istiod, each gateway) is admitted by the real API
 * server's Pod Security "restricted" level: non-root, no privilege escalation, all
 * capabilities dropped, seccomp RuntimeDefault. Checked with server-side dry-run creates of
 * their pods in a namespace that enforces restricted. The level does not cover a read-only
 * root filesystem, so that is checked on the same pods directly.
 *
 * Two workloads need the node's privileges and are the only exceptions: ambient's
 * ztunnel and istio-cni node agents (DaemonSets). Each exception is listed below exactly
 * as the API server states it, at the restricted and at the baseline level, so a new
 * privilege (or one granted to anything else) fails this file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Discovery } from "../../operator/kube/discovery.ts";
import { RestClient } from "../../operator/kube/rest-client.ts";
import { ServerSideApply } from "../../operator/kube/server-side-apply.ts";
import { renderFile } from "../../operator/cli/render.ts";
import { SAMPLES_DIR, sampleFiles } from "../fixtures/samples.ts";
import { adminConfig, uniqueName } from "./cluster-client.ts";

const client = new RestClient(adminConfig());
const ssa = new ServerSideApply(client, new Discovery(client));
const namespace = uniqueName("restricted");
const baselineNamespace = uniqueName("baseline");
const privilegedNamespace = uniqueName("privileged");
const ACCOUNT = "workload";

beforeAll(async () => {
  for (const [name, level] of [
    [namespace, "restricted"],
    [baselineNamespace, "baseline"],
    [privilegedNamespace, "privileged"],
  ] as const) {
    await ssa.apply({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name, labels: { "pod-security.kubernetes.io/enforce": level } },
    });
    // An account of our own: the namespace's `default` one appears only when the
    // controller-manager gets to it, and admission refuses pods naming a missing account.
    await ssa.apply({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: ACCOUNT, namespace: name },
    });
  }
});

afterAll(async () => {
  for (const name of [namespace, baselineNamespace, privilegedNamespace])
    await ssa.delete({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  client.close();
});

describe("rendered workloads", () => {
  for (const sample of sampleFiles()) {
    it(`of ${sample} are admitted at the restricted Pod Security level`, async () => {
      const deployments = renderFile(new URL(sample, SAMPLES_DIR).pathname)
        .map((r) => r.object)
        .filter((o) => o.kind === "Deployment");
      expect(deployments.length).toBeGreaterThan(0);
      for (const deployment of deployments) {
        const template = (deployment.spec as { template: { spec: Record<string, unknown> } })
          .template;
        // The pod as its Deployment would create it, under this namespace's account, since
        // the rendered one lives in the mesh namespace.
        const pod = {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: deployment.metadata.name, namespace },
          spec: { ...template.spec, serviceAccountName: ACCOUNT },
        };
        const containers = template.spec.containers as {
          securityContext?: { readOnlyRootFilesystem?: boolean };
        }[];
        for (const container of containers)
          expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
        await expect(
          client.send({
            method: "POST",
            path: `/api/v1/namespaces/${namespace}/pods`,
            body: pod,
            query: { dryRun: "All" },
          }),
          `${deployment.metadata.name} of ${sample}`,
        ).resolves.toBeDefined();
      }
    });
  }
});

/** The pod a workload's controller would create, in `target`, under the test's account. */
function podOf(workload: { metadata: { name: string }; spec?: unknown }, target: string) {
  const template = (workload.spec as { template: { spec: Record<string, unknown> } }).template;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: workload.metadata.name, namespace: target },
    spec: { ...template.spec, serviceAccountName: ACCOUNT },
  };
}

/** The Pod Security violations the API server names for a pod, one per check, as it words them. */
async function violations(pod: ReturnType<typeof podOf>): Promise<string[]> {
  try {
    await client.send({
      method: "POST",
      path: `/api/v1/namespaces/${pod.metadata.namespace}/pods`,
      body: pod,
      query: { dryRun: "All" },
    });
    return [];
  } catch (error) {
    const message = (error as Error).message;
    const list = /violates PodSecurity "[a-z]+:[a-z0-9.]+": (.*)$/.exec(message)?.[1];
    if (!list) throw error;
    return list.split(/(?<=\)), /).map((v) => v.trim());
  }
}

/**
 * The exceptions, each with why the agent needs it: ztunnel enters pod network namespaces
 * (SYS_ADMIN for setns) to run its listeners there (NET_ADMIN, NET_RAW for TPROXY) as root,
 * sharing one host folder with the CNI agent; the CNI agent installs the CNI plugin and its
 * config on the host and programs pods' iptables through /proc.
 */
const RESTRICTED_EXCEPTIONS: Record<string, string[]> = {
  "istio-cni-node": [
    'forbidden AppArmor profile (container "install-cni" must not set AppArmor profile type to "Unconfined")',
    'allowPrivilegeEscalation != false (container "install-cni" must set securityContext.allowPrivilegeEscalation=false)',
    'unrestricted capabilities (container "install-cni" must not include "DAC_OVERRIDE", "NET_ADMIN", "NET_RAW", "SYS_ADMIN", "SYS_PTRACE" in securityContext.capabilities.add)',
    'restricted volume types (volumes "cni-bin-dir", "cni-host-procfs", "cni-ztunnel-sock-dir", "cni-net-dir", "cni-socket-dir", "cni-netns-dir" use restricted volume type "hostPath")',
    'runAsNonRoot != true (container "install-cni" must not set securityContext.runAsNonRoot=false)',
    'runAsUser=0 (container "install-cni" must not set runAsUser=0)',
    'seccompProfile (pod or container "install-cni" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  ],
  ztunnel: [
    'allowPrivilegeEscalation != false (container "istio-proxy" must set securityContext.allowPrivilegeEscalation=false)',
    'unrestricted capabilities (container "istio-proxy" must not include "NET_ADMIN", "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add)',
    'restricted volume types (volume "cni-ztunnel-sock-dir" uses restricted volume type "hostPath")',
    'runAsNonRoot != true (container "istio-proxy" must not set securityContext.runAsNonRoot=false)',
    'runAsUser=0 (container "istio-proxy" must not set runAsUser=0)',
    'seccompProfile (pod or container "istio-proxy" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  ],
};
/** What remains at baseline: the capabilities beyond its default set, host paths, AppArmor. */
const BASELINE_EXCEPTIONS: Record<string, string[]> = {
  "istio-cni-node": [
    'forbidden AppArmor profile (container "install-cni" must not set AppArmor profile type to "Unconfined")',
    'non-default capabilities (container "install-cni" must not include "NET_ADMIN", "NET_RAW", "SYS_ADMIN", "SYS_PTRACE" in securityContext.capabilities.add)',
    'hostPath volumes (volumes "cni-bin-dir", "cni-host-procfs", "cni-ztunnel-sock-dir", "cni-net-dir", "cni-socket-dir", "cni-netns-dir")',
  ],
  ztunnel: [
    'non-default capabilities (container "istio-proxy" must not include "NET_ADMIN", "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add)',
    'hostPath volumes (volume "cni-ztunnel-sock-dir")',
  ],
};

describe("the ambient node agents", () => {
  const workloads = renderFile(new URL("ambient.yaml", SAMPLES_DIR).pathname)
    .map((r) => r.object)
    .filter((o) => o.kind === "Deployment" || o.kind === "DaemonSet");

  it("are the only workloads that need exceptions, and need exactly those listed", async () => {
    const restricted: Record<string, string[]> = {};
    const baseline: Record<string, string[]> = {};
    for (const workload of workloads) {
      const atRestricted = await violations(podOf(workload, namespace));
      if (atRestricted.length) restricted[workload.metadata.name] = atRestricted;
      const atBaseline = await violations(podOf(workload, baselineNamespace));
      if (atBaseline.length) baseline[workload.metadata.name] = atBaseline;
    }
    expect(restricted).toEqual(RESTRICTED_EXCEPTIONS);
    expect(baseline).toEqual(BASELINE_EXCEPTIONS);
  });

  it("are admitted where the namespace allows privileged pods", async () => {
    for (const workload of workloads.filter((w) => w.kind === "DaemonSet"))
      expect(await violations(podOf(workload, privilegedNamespace))).toEqual([]);
  });
});
