/**
 * Selectors of the rendered objects, checked before anything is written:
 * - every selector (Deployment, Service, PodDisruptionBudget, AuthorizationPolicy) picks the
 *   pods of exactly one rendered Deployment in its namespace: two Deployments whose pods
 *   match one selector fight over their ReplicaSets, and a Service would send istiod's
 *   traffic to a gateway;
 * - no ALLOW AuthorizationPolicy with rules sits in Istio's root namespace, where Istio
 *   applies it to every pod of the mesh with matching labels (a pod that copies the labels
 *   would borrow it); an ALLOW policy without a selector would allow its whole namespace;
 * - every HorizontalPodAutoscaler scales a rendered Deployment, between 1 <= min <= max.
 */
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import type { FieldProblem } from "../api/validate.ts";
import { describeObject, originOf } from "./origin.ts";
import type { RenderedObject } from "./render.ts";

type Labels = Readonly<Record<string, string>>;

interface WorkloadSpec {
  readonly selector?: { readonly matchLabels?: Labels } | Labels;
  readonly template?: { readonly metadata?: { readonly labels?: Labels } };
  readonly action?: string;
  readonly rules?: readonly unknown[];
  readonly scaleTargetRef?: { readonly kind?: string; readonly name?: string };
  readonly minReplicas?: number;
  readonly maxReplicas?: number;
}

const specOf = (r: RenderedObject) => (r.object.spec ?? {}) as WorkloadSpec;
const matches = (selector: Labels, labels: Labels) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** A selector's labels; undefined for kinds without one. */
function selectorOf(r: RenderedObject): Labels | undefined {
  const { kind } = r.object;
  const spec = specOf(r);
  if (kind === "Service") return spec.selector as Labels | undefined;
  if (["Deployment", "PodDisruptionBudget", "AuthorizationPolicy"].includes(kind))
    return (spec.selector as { matchLabels?: Labels } | undefined)?.matchLabels;
  return undefined;
}

const podLabels = (deployment: RenderedObject) =>
  specOf(deployment).template?.metadata?.labels ?? {};

function problem(spec: MeshConfigSpec, r: RenderedObject, message: string): FieldProblem {
  return { path: originOf(spec, r).path, message: `${describeObject(r)} ${message}` };
}

function selectorProblems(
  spec: MeshConfigSpec,
  r: RenderedObject,
  deployments: readonly RenderedObject[],
): FieldProblem[] {
  const selector = selectorOf(r);
  if (selector === undefined) return [];
  if (Object.keys(selector).length === 0)
    return [problem(spec, r, "has an empty selector, which would pick every pod")];
  const picked = deployments.filter(
    (d) =>
      d.object.metadata.namespace === r.object.metadata.namespace &&
      matches(selector, podLabels(d)),
  );
  if (picked.length === 1) return [];
  const names = picked.map(describeObject).join(" and ");
  return [
    problem(
      spec,
      r,
      picked.length === 0
        ? "selects the pods of no rendered Deployment"
        : `selects the pods of ${names}: each selector must pick one workload`,
    ),
  ];
}

const isAllowWithRules = (r: RenderedObject) =>
  r.object.kind === "AuthorizationPolicy" &&
  (specOf(r).action ?? "ALLOW") === "ALLOW" &&
  (specOf(r).rules?.length ?? 0) > 0;

function reachProblems(spec: MeshConfigSpec, r: RenderedObject): FieldProblem[] {
  if (!isAllowWithRules(r)) return [];
  if (r.object.metadata.namespace === spec.namespace)
    return [
      problem(
        spec,
        r,
        `would sit in Istio's root namespace ${spec.namespace}, where it applies to every pod of the mesh with matching labels`,
      ),
    ];
  return selectorOf(r) === undefined
    ? [problem(spec, r, "has no selector and would allow every pod of its namespace")]
    : [];
}

function scalingProblems(
  spec: MeshConfigSpec,
  r: RenderedObject,
  deployments: readonly RenderedObject[],
): FieldProblem[] {
  if (r.object.kind !== "HorizontalPodAutoscaler") return [];
  const { scaleTargetRef, minReplicas = 1, maxReplicas = 0 } = specOf(r);
  const target = deployments.find(
    (d) =>
      d.object.metadata.namespace === r.object.metadata.namespace &&
      d.object.metadata.name === scaleTargetRef?.name,
  );
  const problems: FieldProblem[] = [];
  if (scaleTargetRef?.kind !== "Deployment" || !target)
    problems.push(problem(spec, r, "scales no rendered Deployment"));
  if (minReplicas < 1 || maxReplicas < minReplicas)
    problems.push(
      problem(spec, r, `needs 1 <= minReplicas (${minReplicas}) <= maxReplicas (${maxReplicas})`),
    );
  return problems;
}

export function checkSelectors(
  spec: MeshConfigSpec,
  rendered: readonly RenderedObject[],
): FieldProblem[] {
  const deployments = rendered.filter((r) => r.object.kind === "Deployment");
  return rendered.flatMap((r) => [
    ...selectorProblems(spec, r, deployments),
    ...reachProblems(spec, r),
    ...scalingProblems(spec, r, deployments),
  ]);
}
