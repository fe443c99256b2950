/** Client helpers for integration tests: the admin KubeConfig of the shared control plane. */
import { KubeConfig } from "@kubernetes/client-node";
import { inject } from "vitest";

export function adminConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(inject("cluster").kubeconfig);
  return config;
}

/** A name unique to this run, so tests never trip over each other's objects. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** A KubeConfig for the shared control plane that authenticates with a bearer token. */
export function tokenConfig(user: string, token: string): KubeConfig {
  const cluster = inject("cluster");
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [
      {
        name: "local",
        server: cluster.server,
        caData: Buffer.from(cluster.certificateAuthority).toString("base64"),
      },
    ],
    users: [{ name: user, token }],
    contexts: [{ name: user, cluster: "local", user }],
    currentContext: user,
  });
  return config;
}
