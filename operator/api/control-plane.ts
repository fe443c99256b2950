/** spec.controlPlane: how istiod runs. */
import { z } from "zod";
import { autoscalingWithDefaults } from "./autoscaling.ts";
import {
  passthroughObject,
  replicas,
  resourceRequirements,
  labelMap,
  tolerations,
} from "./kubernetes-types.ts";

export const ISTIOD_LOG_LEVELS = ["debug", "info", "warn", "error", "fatal", "none"] as const;

export const controlPlaneSpec = z
  .object({
    replicas: replicas(
      "istiod replicas while autoscaling is disabled. More than one adds a PodDisruptionBudget.",
    ).default(1),
    autoscaling: autoscalingWithDefaults.prefault({}),
    resources: resourceRequirements("CPU and memory requests and limits of istiod.").optional(),
    nodeSelector: labelMap("Node labels istiod pods must run on.").optional(),
    tolerations: tolerations("Taints istiod pods tolerate.").optional(),
    affinity: passthroughObject(
      "A Kubernetes Affinity for istiod pods, passed through as is.",
    ).optional(),
    logLevel: z
      .enum(ISTIOD_LOG_LEVELS)
      .default("info")
      .describe("Log level of istiod's default scope: debug, info, warn, error, fatal or none."),
  })
  .describe("How the Istio control plane (istiod) runs.");
