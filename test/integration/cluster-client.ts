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
