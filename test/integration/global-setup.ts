/**
 * Starts one local control plane for the whole integration run and hands its coordinates
 * to the tests through vitest's provide/inject. The teardown stops it; an interrupted run
 * is cleaned up by the control plane's exit handlers and, failing those, its watchdog.
 */
import type { TestProject } from "vitest/node";
import { LocalControlPlane } from "../../operator/local/control-plane.ts";

declare module "vitest" {
  export interface ProvidedContext {
    cluster: {
      kubeconfig: string;
      server: string;
      certificateAuthority: string;
      adminToken: string;
      workDir: string;
    };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const plane = await LocalControlPlane.start({
    progress: (line) => {
      console.error(`[cluster] ${line}`);
    },
  });
  console.error(`[cluster] up in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  project.provide("cluster", {
    kubeconfig: plane.kubeconfigPath,
    server: plane.server,
    certificateAuthority: plane.certificateAuthority,
    adminToken: plane.identities.admin.token,
    workDir: plane.layout.root,
  });
  return () => plane.stop();
}
