/**
 * HorizontalPodAutoscaler settings, shared by the control plane and the gateways. The
 * control plane's copy carries defaults; a gateway's does not, because defaults inside
 * list items would make every gateway entry carry server-written fields (the resolve step
 * applies the same defaults to gateways instead).
 */
import { z } from "zod";

export const AUTOSCALING_DEFAULTS = {
  enabled: true,
  minReplicas: 1,
  maxReplicas: 5,
  targetCPUUtilization: 80,
} as const;

const MIN_LE_MAX = {
  rule: "!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas",
  message: "minReplicas must be less than or equal to maxReplicas",
  fieldPath: ".minReplicas",
  reason: "FieldValueInvalid",
};

const description =
  "Horizontal autoscaling on CPU use. While enabled, the autoscaler owns the replica count.";
const fields = {
  enabled: z.boolean().describe("Whether a HorizontalPodAutoscaler scales the Deployment."),
  minReplicas: z
    .int32()
    .min(1)
    .max(1000)
    .describe("Lowest replica count the autoscaler may choose."),
  maxReplicas: z
    .int32()
    .min(1)
    .max(1000)
    .describe("Highest replica count the autoscaler may choose."),
  targetCPUUtilization: z
    .int32()
    .min(1)
    .max(100)
    .describe("Average CPU use, in percent of requests, that the autoscaler aims for."),
};

function minNotAboveMax(value: {
  minReplicas?: number | undefined;
  maxReplicas?: number | undefined;
}): boolean {
  return (
    value.minReplicas === undefined ||
    value.maxReplicas === undefined ||
    value.minReplicas <= value.maxReplicas
  );
}

export const autoscalingWithDefaults = z
  .object({
    enabled: fields.enabled.default(AUTOSCALING_DEFAULTS.enabled),
    minReplicas: fields.minReplicas.default(AUTOSCALING_DEFAULTS.minReplicas),
    maxReplicas: fields.maxReplicas.default(AUTOSCALING_DEFAULTS.maxReplicas),
    targetCPUUtilization: fields.targetCPUUtilization.default(
      AUTOSCALING_DEFAULTS.targetCPUUtilization,
    ),
  })
  .refine(minNotAboveMax, { message: MIN_LE_MAX.message, path: ["minReplicas"] })
  .meta({ description, "x-kubernetes-validations": [MIN_LE_MAX] });

export const autoscalingWithoutDefaults = z
  .object({
    enabled: fields.enabled.optional(),
    minReplicas: fields.minReplicas.optional(),
    maxReplicas: fields.maxReplicas.optional(),
    targetCPUUtilization: fields.targetCPUUtilization.optional(),
  })
  .refine(minNotAboveMax, { message: MIN_LE_MAX.message, path: ["minReplicas"] })
  .meta({
    description: `${description} Unset fields take the control plane's defaults (enabled, 1-5 replicas, 80% CPU); an unset maxReplicas is never below minReplicas.`,
    "x-kubernetes-validations": [MIN_LE_MAX],
  });
