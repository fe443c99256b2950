/**
 * The MeshConfig status: conditions in the metav1.Condition shape (list-map keyed by type),
 * what the operator saw of each component, CA expiry dates and how many objects it manages.
 * Only the operator writes it, through the /status subresource.
 */
import { z } from "zod";
import { MAX_GATEWAYS } from "./gateways.ts";

export const condition = z
  .object({
    type: z
      .string()
      .min(1)
      .max(316)
      .regex(
        /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/,
      )
      .describe("Condition type in CamelCase, e.g. Ready."),
    status: z.enum(["True", "False", "Unknown"]).describe("True, False or Unknown."),
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .describe("The metadata.generation the condition was computed from."),
    lastTransitionTime: z.iso.datetime().describe("When status last changed."),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .describe("One CamelCase word for the cause, e.g. InvalidSpec."),
    message: z
      .string()
      .max(32768)
      .describe("What happened and, when something is wrong, what to do."),
  })
  .describe("An observation of one aspect of the mesh (metav1.Condition).");

/** The counts kstatus reads (operator/reconcile/rollout.ts), for Deployments and DaemonSets. */
export const readiness = z
  .object({
    ready: z.int32().min(0).describe("Pods ready (any version)."),
    updated: z.int32().min(0).describe("Pods running the current pod template."),
    available: z
      .int32()
      .min(0)
      .describe("Pods available (ready for minReadySeconds), old ones included."),
    desired: z.int32().min(0).describe("Pods wanted."),
  })
  .describe(
    "Replica counts of a component: it is rolled out when updated, available and ready all equal desired and no old pod is left.",
  );

/** One control-plane revision (reconcile/revision-status.ts). */
export const revisionStatus = z
  .object({
    name: z.string().max(63).describe("The revision (istio.io/rev), e.g. 1-29-2 or default."),
    version: z.string().max(32).describe("The Istio version the revision runs."),
    ready: z.boolean().describe("Its istiod has rolled out its current generation."),
    tags: z
      .array(z.string().max(63).describe("A revision tag name, e.g. default."))
      .max(8)
      .describe("Revision tags pointing at it (default: where istio-injection=enabled goes)."),
    pods: z.int32().min(0).describe("Injected pods using it (istiod's own not counted)."),
    outdatedProxies: z
      .int32()
      .min(0)
      .optional()
      .describe("Of those, pods whose proxy is older than the revision's version."),
    unusedSince: z.iso
      .datetime()
      .optional()
      .describe(
        "RevisionBased: when the last pod stopped using this old revision; it is removed once the grace period has passed since.",
      ),
  })
  .describe("A control-plane revision: istiod, its injector and validator.");

export type RevisionStatus = z.output<typeof revisionStatus>;

export const meshConfigStatus = z
  .object({
    observedGeneration: z
      .int()
      .default(-1)
      .describe(
        "The metadata.generation the operator last acted on; -1 until it has seen the object.",
      ),
    conditions: z
      .array(condition)
      .max(32)
      .meta({
        description: "Ready, Reconciled, Reconciling, Stalled and per-component conditions.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
      })
      .optional(),
    istioVersion: z.string().max(32).optional().describe("The Istio version currently applied."),
    components: z
      .object({
        istiod: readiness.optional(),
        gateways: z
          .record(z.string().max(253), readiness)
          .meta({ description: "Per gateway, by namespace/name.", maxProperties: MAX_GATEWAYS })
          .optional(),
        ztunnel: readiness
          .optional()
          .describe("The ztunnel DaemonSet (ambient): one pod per node."),
        cni: readiness.optional().describe("The istio-cni node agent DaemonSet (ambient)."),
      })
      .optional()
      .describe("Readiness of istiod, of each gateway and of the ambient node agents."),
    certificateAuthority: z
      .object({
        rootNotAfter: z.iso.datetime().optional().describe("When the root certificate expires."),
        intermediateNotAfter: z.iso
          .datetime()
          .optional()
          .describe("When the intermediate (signing) certificate expires."),
      })
      .optional()
      .describe("Expiry of the mesh CA's certificates."),
    managedObjects: z
      .int32()
      .min(0)
      .optional()
      .describe("How many objects the operator manages for this mesh."),
    rollout: z
      .object({
        component: z
          .string()
          .max(512)
          .describe(
            "The workload rolling out: component, namespace/name (istiod first, then the gateways).",
          ),
        since: z.iso
          .datetime()
          .describe("Since when this workload has been rolling out (kept across reconciles)."),
        message: z.string().max(1024).describe("How far it is, e.g. updated 1/2."),
      })
      .optional()
      .describe(
        "Present while a workload's current generation has not rolled out (kstatus's rules); absent when everything has.",
      ),
    workloadRestart: z
      .object({
        version: z
          .string()
          .max(256)
          .describe("What the workloads are restarted for: <revision>/<version>."),
        waiting: z
          .int32()
          .min(0)
          .describe("Workloads with outdated injected pods not restarted yet."),
        rolling: z
          .array(z.string().max(512).describe("Kind namespace/name of a workload."))
          .max(100)
          .describe("The batch rolling out now: Kind namespace/name; the next waits for it."),
      })
      .optional()
      .describe(
        "spec.updateStrategy.updateWorkloads: the restart of injected workloads after an upgrade; absent when it is off or the control plane has not rolled out.",
      ),
    revisions: z
      .array(revisionStatus)
      .max(16)
      .meta({
        description:
          "The control-plane revisions that exist: the one of spec.version first, then old ones still in use or in their grace period.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
      })
      .optional(),
  })
  .describe("What the operator observed and did.");

export type MeshConfigStatus = z.output<typeof meshConfigStatus>;
export type Condition = z.output<typeof condition>;
