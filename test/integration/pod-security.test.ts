/**
 * Every workload the operator renders (istiod, each gateway) is admitted by the real API
 * server's Pod Security "restricted" level: non-root, no privilege escalation, all
 * capabilities dropped, seccomp RuntimeDefault. Checked with server-side dry-run creates of
 * their pods in a namespace that enforces restricted. The level does not cover a read-only
 * root filesystem, so that is checked on the same pods directly.
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
const ACCOUNT = "workload";

beforeAll(async () => {
  await ssa.apply({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: namespace, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
  });
  // An account of our own: the namespace's `default` one appears only when the
  // controller-manager gets to it, and admission refuses pods naming a missing account.
  await ssa.apply({
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: ACCOUNT, namespace },
  });
});

afterAll(async () => {
  await ssa.delete({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
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
