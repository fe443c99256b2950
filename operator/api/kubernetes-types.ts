/**
 * Schemas of the Kubernetes value types the MeshConfig reuses: names, quantities,
 * resource requirements, tolerations, string maps. Every string has a maxLength and every
 * list or map a size bound: the API server needs them to bound the cost of CEL rules, and
 * they turn absurd input into a clear error instead of a huge object.
 */
import { z } from "zod";

/** RFC 1123 label: namespaces, gateway names, revisions, port names. */
export const dnsLabel = (description: string) =>
  z
    .string()
    .min(1)
    .max(63)
    .regex(
      /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
      "must be a DNS label: lower-case letters, digits and '-', starting and ending alphanumeric",
    )
    .describe(description);

/** RFC 1123 subdomain: Secret names. */
export const dnsSubdomain = (description: string) =>
  z
    .string()
    .min(1)
    .max(253)
    .regex(
      /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
      "must be a DNS subdomain: lower-case letters, digits, '-' and '.'",
    )
    .describe(description);

/** A map of short strings (labels, annotations, node selectors). */
export const stringMap = (description: string) =>
  z
    .record(z.string().max(253), z.string().max(4096).describe("The value for the key."))
    .meta({ description, maxProperties: 64 });

// The quantity grammar of Kubernetes resource.Quantity, e.g. 100m, 1.5Gi, 2e3.
const QUANTITY =
  /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;

export const quantity = z
  .union([
    z.int().min(0),
    z.string().max(64).regex(QUANTITY, "must be a Kubernetes quantity such as 500m or 1Gi"),
  ])
  .describe("A Kubernetes quantity: an integer or a string such as 500m, 128Mi or 2.");

// A resource name as Kubernetes qualifies it: cpu, memory, hugepages-2Mi,
// example.com/gpu. The pattern also keeps template syntax out of the injector's Go
// templates, which carry the proxy's resources.
const RESOURCE_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

const resourceList = (description: string) =>
  z
    .record(
      z
        .string()
        .max(253)
        .regex(RESOURCE_NAME, "must be a resource name such as cpu, memory or example.com/gpu"),
      quantity,
    )
    .meta({ description, maxProperties: 16 });

export const resourceRequirements = (description: string) =>
  z
    .object({
      requests: resourceList("Minimum resources reserved, e.g. cpu: 500m, memory: 2Gi.").optional(),
      limits: resourceList("Maximum resources allowed, e.g. cpu: '2', memory: 4Gi.").optional(),
    })
    .describe(description);

export const toleration = z
  .object({
    key: z
      .string()
      .max(316)
      .optional()
      .describe("Taint key the toleration applies to; empty matches all keys."),
    operator: z.enum(["Exists", "Equal"]).optional().describe("Exists or Equal (default Equal)."),
    value: z
      .string()
      .max(63)
      .optional()
      .describe("Taint value the toleration matches (with operator Equal)."),
    effect: z
      .enum(["NoSchedule", "PreferNoSchedule", "NoExecute"])
      .optional()
      .describe("Taint effect to match; empty matches all effects."),
    tolerationSeconds: z
      .int()
      .min(0)
      .optional()
      .describe("How long a NoExecute taint is tolerated before eviction; unset means forever."),
  })
  .describe("A Kubernetes toleration.");

export const tolerations = (description: string) =>
  z.array(toleration).max(32).describe(description);

/** An object passed through as is: its fields are not checked here but by its consumer. */
export const passthroughObject = (description: string) =>
  z
    .record(z.string(), z.unknown())
    .meta({ description, "x-kubernetes-preserve-unknown-fields": true });

export const replicas = (description: string) => z.int32().min(0).max(1000).describe(description);

export const port = (description: string) => z.int32().min(1).max(65535).describe(description);
