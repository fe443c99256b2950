/**
 * The data-plane mode: how workloads join the mesh. Istio offers two data planes, a sidecar
 * proxy in each pod and ambient mode (a per-node ztunnel for L4, optional waypoint proxies
 * for L7, with the istio-cni node agent redirecting pod traffic to ztunnel). Each namespace
 * still chooses for itself, by label, as Istio allows: istio-injection=enabled (or
 * istio.io/rev) for sidecars, istio.io/dataplane-mode=ambient for ambient. This field says
 * which of the two the mesh offers.
 */
import { z } from "zod";

export const DATA_PLANE_MODES = ["sidecar", "ambient", "both"] as const;
export type DataPlaneMode = (typeof DATA_PLANE_MODES)[number];

export const dataPlaneSpec = z
  .object({
    mode: z
      .enum(DATA_PLANE_MODES)
      .default("sidecar")
      .describe(
        "sidecar: sidecar proxies only (namespaces join with istio-injection=enabled). ambient: the ambient data plane only: the istio-cni node agent and ztunnel run on every node, istiod serves them and deploys waypoints, and namespaces join with istio.io/dataplane-mode=ambient; no namespace gets sidecars by label (pods that ask by their own label, like gateways, still do). both: ambient as above, and sidecar injection as spec.sidecarInjector says, each namespace choosing by its label.",
      ),
  })
  .describe("Which data planes the mesh offers its workloads.");

/** Whether a mode runs ztunnel and the CNI agent. */
export function ambientEnabled(mode: DataPlaneMode): boolean {
  return mode !== "sidecar";
}

/** Whether namespaces may ask for sidecars by label in this mode. */
export function sidecarsByNamespace(mode: DataPlaneMode): boolean {
  return mode !== "ambient";
}
