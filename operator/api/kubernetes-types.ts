/**
 * Schemas of the Kubernetes value types the MeshConfig reuses: names, quantities,
 * resource requirements, tolerations, string maps. Every string has a maxLength and every
 * list or map a size bound: the API server needs them to bound the cost of CEL rules, and
 * they turn absurd input into a clear error instead of a huge object.
 */
import { z } from "zod";
import { celValidations, refineWith, type Rule } from "./cel-rules.ts";
import { QUANTITY } from "./quantity.ts";
import { resourceListChecks, resourceRequirementChecks } from "./resource-rules.ts";

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

// A qualified name as Kubernetes checks label and annotation keys, resource names and
// taint keys: an optional DNS-subdomain prefix and "/", then a name of letters, digits,
// '-', '_' and '.', starting and ending alphanumeric. Template syntax, YAML indicators,
// "__proto__" and line breaks cannot be one.
export const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const QUALIFIED_NAME_MESSAGE =
  "must be a qualified name such as app, example.com/zone or node.kubernetes.io/instance-type";

// A label value: empty, or up to 63 letters, digits, '-', '_' and '.', alphanumeric at both ends.
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const qualifiedName = () => z.string().max(316).regex(QUALIFIED_NAME, QUALIFIED_NAME_MESSAGE);

/** Node labels to match (node selectors): label keys and label values, as the API server checks them. */
export const labelMap = (description: string) =>
  z
    .record(
      qualifiedName(),
      z
        .string()
        .max(63)
        .regex(LABEL_VALUE, "must be a label value: letters, digits, '-', '_' and '.'")
        .describe("The label value."),
    )
    .meta({ description, maxProperties: 64 });

/** Annotations: qualified-name keys, free-text values. */
export const annotationMap = (description: string) =>
  z
    .record(qualifiedName(), z.string().max(4096).describe("The annotation value."))
    .meta({ description, maxProperties: 64 });

export const quantity = z
  .union([
    z.int().min(0),
    z.string().max(64).regex(QUANTITY, "must be a Kubernetes quantity such as 500m or 1Gi"),
  ])
  .describe("A Kubernetes quantity: an integer or a string such as 500m, 128Mi or 2.");

const resourceList = (description: string) =>
  z
    .record(
      z
        .string()
        .max(253)
        // Also keeps template syntax out of the injector's Go templates, which carry the
        // proxy's resources.
        .regex(QUALIFIED_NAME, "must be a resource name such as cpu, memory or example.com/gpu"),
      quantity,
    )
    .superRefine(resourceListChecks.refine)
    .meta({
      description,
      maxProperties: 16,
      "x-kubernetes-validations": resourceListChecks.validations,
    });

export const resourceRequirements = (description: string) =>
  z
    .object({
      requests: resourceList("Minimum resources reserved, e.g. cpu: 500m, memory: 2Gi.").optional(),
      limits: resourceList("Maximum resources allowed, e.g. cpu: '2', memory: 4Gi.").optional(),
    })
    .superRefine(resourceRequirementChecks.refine)
    .meta({ description, "x-kubernetes-validations": resourceRequirementChecks.validations });

interface Toleration {
  readonly key?: string | undefined;
  readonly operator?: string | undefined;
  readonly value?: string | undefined;
  readonly effect?: string | undefined;
  readonly tolerationSeconds?: number | undefined;
}

/** The API server's toleration rules (ValidateTolerations), so a bad one fails here, not on apply. */
const TOLERATION_RULES: readonly Rule<Toleration>[] = [
  {
    rule: "(has(self.key) && self.key != '') || (has(self.operator) && self.operator == 'Exists')",
    message: "operator must be Exists when key is empty (which matches every taint)",
    fieldPath: ".operator",
    violations: (t) => (t.key || t.operator === "Exists" ? [] : [{ path: ["operator"] }]),
  },
  {
    rule: "!has(self.operator) || self.operator != 'Exists' || !has(self.value) || self.value == ''",
    message: "value must be empty when operator is Exists",
    fieldPath: ".value",
    violations: (t) => (t.operator === "Exists" && t.value ? [{ path: ["value"] }] : []),
  },
  {
    rule: "!has(self.tolerationSeconds) || (has(self.effect) && self.effect == 'NoExecute')",
    message: "tolerationSeconds needs effect NoExecute",
    fieldPath: ".effect",
    violations: (t) =>
      t.tolerationSeconds !== undefined && t.effect !== "NoExecute" ? [{ path: ["effect"] }] : [],
  },
];

export const toleration = z
  .object({
    key: z
      .string()
      .max(316)
      .regex(new RegExp(`^$|${QUALIFIED_NAME.source}`), QUALIFIED_NAME_MESSAGE)
      .optional()
      .describe("Taint key the toleration applies to; empty (with Exists) matches all keys."),
    operator: z.enum(["Exists", "Equal"]).optional().describe("Exists or Equal (default Equal)."),
    value: z
      .string()
      .max(63)
      .regex(LABEL_VALUE, "must be a taint value: letters, digits, '-', '_' and '.'")
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
  .superRefine(refineWith(TOLERATION_RULES))
  .meta({
    description: "A Kubernetes toleration.",
    "x-kubernetes-validations": celValidations(TOLERATION_RULES),
  });

export const tolerations = (description: string) =>
  z.array(toleration).max(32).describe(description);

/** An object passed through as is: its fields are not checked here but by its consumer. */
export const passthroughObject = (description: string) =>
  z
    .record(z.string(), z.unknown())
    .meta({ description, "x-kubernetes-preserve-unknown-fields": true });

// At least one: a Deployment scaled to zero is no mesh component (use the feature's switch instead).
export const replicas = (description: string) => z.int32().min(1).max(1000).describe(description);

export const port = (description: string) => z.int32().min(1).max(65535).describe(description);
