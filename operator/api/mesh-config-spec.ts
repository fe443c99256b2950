/**
 * The MeshConfig spec: the product's whole user interface. This zod schema is the single
 * source: the CRD's OpenAPI schema is generated from it (crd.ts), the TypeScript types are
 * inferred from it, and the reconciler validates with it at run time (validate.ts).
 */
import { z } from "zod";
import { certificateAuthoritySpec } from "./certificate-authority.ts";
import { celValidations, refineWith, type Rule } from "./cel-rules.ts";
import { controlPlaneSpec } from "./control-plane.ts";
import { dataPlaneSpec } from "./data-plane.ts";
import { gatewayApiSpec } from "./gateway-api.ts";
import { gatewaysSpec } from "./gateways.ts";
import { dnsLabel, passthroughObject } from "./kubernetes-types.ts";
import { securitySpec, sidecarInjectorSpec, telemetrySpec } from "./mesh-settings.ts";
import { revisionBasedName, updateStrategySpec } from "./update-strategy.ts";

export const NAMESPACE_IMMUTABLE = {
  rule: "self == oldSelf",
  message: "namespace is immutable: moving the control plane needs a new MeshConfig",
};

const REVISION_NOT_DEFAULT = {
  rule: "self != 'default'",
  message: "'default' names the unrevisioned control plane; leave revision unset",
};

/** istiod's Service is named istiod-<revision>, and Service names have at most 63 characters. */
export const MAX_REVISION_LENGTH = 63 - "istiod-".length;

/**
 * No gateway in the control-plane namespace: it is Istio's root namespace, where an
 * AuthorizationPolicy selects pods by label in every namespace (the gateway's ALLOW policy
 * would let any pod that copies the gateway's labels out of DenyAll), it holds the mesh CA's
 * key (the gateway's ServiceAccount may read every Secret of its namespace), and the
 * gateway's objects would share names and selectors with the control plane's.
 */
const SPEC_RULES: readonly Rule<{
  readonly namespace: string;
  readonly version: string;
  readonly revision?: string | undefined;
  readonly updateStrategy: { readonly type: string };
  readonly gateways?: readonly { readonly name: string; readonly namespace: string }[] | undefined;
}>[] = [
  {
    // `in` over a mapped list: a comprehension that reads self.namespace inside would be
    // estimated far beyond the CRD's CEL cost budget.
    rule: "!has(self.gateways) || !has(self.namespace) || !(self.namespace in self.gateways.map(g, g.namespace))",
    // A static message: CEL's estimator prices any expression reading self.namespace here
    // beyond the budget, so the message cannot name the gateway (zod's twin does).
    message:
      "a gateway may not run in the control-plane namespace (spec.namespace, Istio's root namespace, where its ALLOW policy would apply to every pod with its labels, and where the CA key is): give it a namespace of its own",
    fieldPath: ".gateways",
    reason: "FieldValueForbidden",
    violations: (spec) =>
      (spec.gateways ?? []).flatMap((g, i) =>
        g.namespace === spec.namespace
          ? [
              {
                path: ["gateways", i, "namespace"],
                message: `may not be the control-plane namespace ${spec.namespace} (Istio's root namespace, where the gateway's ALLOW policy would apply to every pod with its labels, and where the CA key is): give the gateway a namespace of its own`,
              },
            ]
          : [],
      ),
  },
  {
    // Under RevisionBased the revision is <spec.revision>-<version with dashes>, and it
    // names a Service (istiod-<revision>): refuse a prefix that would make it too long.
    rule: `!has(self.updateStrategy) || self.updateStrategy.type != 'RevisionBased' || !has(self.revision) || size(self.revision) + size(self.version) + 1 <= ${MAX_REVISION_LENGTH}`,
    message: `with updateStrategy RevisionBased, the revision is <revision>-<version with dashes> and must be at most ${MAX_REVISION_LENGTH} characters (istiod-<revision> names a Service): shorten spec.revision`,
    fieldPath: ".revision",
    violations: (spec) => {
      if (spec.updateStrategy.type !== "RevisionBased" || !spec.revision) return [];
      const name = revisionBasedName(spec.revision, spec.version);
      return name.length <= MAX_REVISION_LENGTH
        ? []
        : [
            {
              path: ["revision"],
              message: `with updateStrategy RevisionBased the revision would be ${name} (${name.length} characters), longer than ${MAX_REVISION_LENGTH} (istiod-<revision> names a Service): shorten spec.revision`,
            },
          ];
    },
  },
];

export const meshConfigSpec = z
  .object({
    version: z
      .string()
      .max(32)
      .regex(/^1\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/, "must look like 1.N.M, e.g. 1.29.2")
      .describe(
        "Istio version to run, e.g. 1.29.2. Which versions are supported is data of the operator, not of this schema: an unsupported one is reported as Stalled/UnsupportedVersion.",
      ),
    hub: z
      .string()
      .max(255)
      .regex(
        /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/,
        "must be an image registry path such as docker.io/istio",
      )
      .default("docker.io/istio")
      .describe("Registry and path the Istio images are pulled from."),
    namespace: dnsLabel(
      "Namespace of the control plane; created and labelled by the operator. Immutable.",
    )
      .default("istio-system")
      .meta({ "x-kubernetes-validations": [NAMESPACE_IMMUTABLE] }),
    revision: dnsLabel(
      "Control-plane revision for canary upgrades; suffixes object names and sets the istio.io/rev label. Unset: the default revision ('default' itself is reserved).",
    )
      .max(
        MAX_REVISION_LENGTH,
        `must be at most ${MAX_REVISION_LENGTH} characters: istiod-<revision> names a Service`,
      )
      .refine(
        (revision) => revision !== "default",
        "'default' names the unrevisioned control plane; leave revision unset",
      )
      .meta({ "x-kubernetes-validations": [REVISION_NOT_DEFAULT] })
      .optional(),
    updateStrategy: updateStrategySpec.prefault({}),
    controlPlane: controlPlaneSpec.prefault({}),
    meshConfig: passthroughObject(
      "Istio mesh configuration merged into the istio ConfigMap (accessLogFile, defaultConfig, outboundTrafficPolicy, ...). rootNamespace, trustDomain and defaultConfig.discoveryAddress are set by the operator. Checked by istiod, not here.",
    ).optional(),
    sidecarInjector: sidecarInjectorSpec.prefault({}),
    dataPlane: dataPlaneSpec.prefault({}),
    gateways: gatewaysSpec.optional(),
    gatewayAPI: gatewayApiSpec.prefault({}),
    certificateAuthority: certificateAuthoritySpec.prefault({}),
    security: securitySpec.prefault({}),
    telemetry: telemetrySpec.prefault({}),
  })
  .superRefine(refineWith(SPEC_RULES))
  .meta({
    description: "The desired Istio service mesh.",
    "x-kubernetes-validations": celValidations(SPEC_RULES),
  });

/** A spec as written by a user: optional fields may be missing. */
export type MeshConfigSpecInput = z.input<typeof meshConfigSpec>;
/** A spec after defaulting (what the API server stores, and what zod returns). */
export type MeshConfigSpec = z.output<typeof meshConfigSpec>;
