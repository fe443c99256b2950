/**
 * Runs a real istiod with exactly what the operator applied: the istiod Deployment's
 * container args and env (resolved as the kubelet would), its volumes (the plugged-in
 * `cacerts` Secret above all) written below a work folder, and a kubeconfig holding a
 * token of istiod's own ServiceAccount, so the operator's RBAC is all istiod gets.
 * Istiod then reads the mesh and injector ConfigMaps from the API server itself.
 *
 * Only the listen addresses change (free loopback ports), and the Secret and ConfigMap
 * volumes are re-synced on demand, as a kubelet does every minute or so.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RestClient } from "../kube/rest-client.ts";
import { IstiodProcess } from "./istiod-process.ts";
import { PodVolumes, type Container, type PodIdentity, type Volume } from "./pod-volumes.ts";

export interface MeshIstiodOptions {
  /** An administrator's client: it reads what the operator applied and mints istiod's token. */
  readonly admin: RestClient;
  /** The API server istiod talks to, and the CA that signed its serving certificate. */
  readonly server: string;
  readonly certificateAuthority: string;
  readonly binary: string;
  readonly workDir: string;
  readonly namespace?: string;
  readonly deployment?: string;
  /** The pod name istiod believes it has (leader election identity, logs). */
  readonly podName?: string;
}

interface Deployment {
  spec: {
    template: {
      spec: {
        serviceAccountName?: string;
        containers: Container[];
        volumes?: Volume[];
        nodeName?: string;
      };
    };
  };
}

export interface MeshIstiod {
  readonly istiod: IstiodProcess;
  readonly pod: PodIdentity;
  /** The container as rendered (args, env as written), for tests that compare. */
  readonly container: Container;
  /** The resolved env istiod was started with. */
  readonly env: Readonly<Record<string, string>>;
  /** Optional volumes whose source did not exist (as in a pod, they stay empty). */
  readonly skippedVolumes: readonly string[];
  /** Re-reads Secrets and ConfigMaps into the volume folders, as the kubelet's sync does. */
  syncVolumes(): Promise<void>;
  /** Lines of istiod's log that report a call the API server refused. */
  forbiddenCalls(): string[];
  stop(): Promise<void>;
}

function kubeconfigText(server: string, ca: string, token: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "local",
        cluster: { server, "certificate-authority-data": Buffer.from(ca).toString("base64") },
      },
    ],
    users: [{ name: "istiod", user: { token } }],
    contexts: [{ name: "istiod", context: { cluster: "local", user: "istiod" } }],
    "current-context": "istiod",
  });
}

export async function startMeshIstiod(options: MeshIstiodOptions): Promise<MeshIstiod> {
  const namespace = options.namespace ?? "istio-system";
  const name = options.deployment ?? "istiod";
  const deployment = await options.admin.send<Deployment>({
    method: "GET",
    path: `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`,
  });
  const podSpec = deployment.spec.template.spec;
  const container = podSpec.containers.find((c) => c.name === "discovery") ?? podSpec.containers[0];
  if (!container) throw new Error(`Deployment ${namespace}/${name} has no container`);
  const pod: PodIdentity = {
    name: options.podName ?? `${name}-local`,
    namespace,
    serviceAccount: podSpec.serviceAccountName ?? "default",
    ip: "127.0.0.1",
    nodeName: podSpec.nodeName ?? "local",
  };
  const volumes = new PodVolumes(options.admin, pod, options.workDir);
  const skippedVolumes = await volumes.mount(container, podSpec.volumes ?? []);
  const env = await volumes.resolveEnv(container);
  // The pod's own credentials: a token of its ServiceAccount for the API server's audience.
  const kubeconfig = join(options.workDir, "kubeconfig");
  writeFileSync(
    kubeconfig,
    kubeconfigText(options.server, options.certificateAuthority, await volumes.token()),
    {
      mode: 0o600,
    },
  );
  writeFileSync(
    join(options.workDir, "container.json"),
    JSON.stringify({ container, env }, null, 2),
  );
  const istiod = await IstiodProcess.start({
    binary: options.binary,
    workDir: options.workDir,
    args: container.args ?? [],
    env,
    kubeconfig,
    name: `istiod ${namespace}/${name}`,
  });
  return {
    istiod,
    pod,
    container,
    env,
    skippedVolumes,
    syncVolumes: async () => {
      await volumes.mount(container, podSpec.volumes ?? []);
    },
    forbiddenCalls: () =>
      istiod
        .log()
        .split("\n")
        .filter((line) => /forbidden/i.test(line)),
    stop: () => istiod.stop(),
  };
}
