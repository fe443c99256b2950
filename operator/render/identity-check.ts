/**
 * The last check before any write (pure): the rendered objects of a valid spec must be
 * distinct objects the API server will accept. Admission (CEL) and run-time validation
 * refuse every spec they can; this catches what only the rendered objects show, and is the
 * safety net if a template changes: two objects with one identity (API group, kind,
 * namespace, name: one would overwrite the other), names the API server refuses for their
 * kind, label values it refuses, selectors shared by two workloads, ALLOW policies that
 * reach wider than their gateway, and Service port and node port clashes. Every problem is
 * reported at the spec field that caused it, so the reconciler can say Stalled/InvalidSpec.
 */
import { LABEL_VALUE } from "../api/kubernetes-types.ts";
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import type { FieldProblem } from "../api/validate.ts";
import { describeObject, identityOf, originOf } from "./origin.ts";
import type { RenderedObject } from "./render.ts";
import { checkSelectors } from "./selector-check.ts";
import { checkServices } from "./service-check.ts";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// RBAC objects are named by path segment: anything but "/", "%", "." and "..".
const RBAC_KINDS = new Set(["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"]);

const isPathSegment = (name: string) => !/[/%]/.test(name) && ![".", "..", ""].includes(name);

/** What the API server checks a name against, per kind; DNS subdomains for the rest. */
const NAME_RULES: Readonly<Record<string, { test: (name: string) => boolean; says: string }>> = {
  Namespace: { test: (n) => n.length <= 63 && DNS_LABEL.test(n), says: "is not a DNS label" },
  Service: {
    test: (n) => n.length <= 63 && DNS_1035_LABEL.test(n),
    says: "is not a DNS-1035 label (at most 63 characters, starting with a letter)",
  },
  ...Object.fromEntries(
    [...RBAC_KINDS].map((kind) => [kind, { test: isPathSegment, says: "is not a path segment" }]),
  ),
};
const SUBDOMAIN_RULE = {
  test: (n: string) => n.length <= 253 && DNS_SUBDOMAIN.test(n),
  says: "is not a DNS subdomain",
};

/** Why the API server would refuse this name for this kind; undefined when it would not. */
function nameProblem(kind: string, name: string): string | undefined {
  const rule = NAME_RULES[kind] ?? SUBDOMAIN_RULE;
  return rule.test(name) ? undefined : rule.says;
}

function labelSets(r: RenderedObject): [string, Readonly<Record<string, string>>][] {
  const template = (r.object.spec as { template?: { metadata?: { labels?: object } } } | undefined)
    ?.template?.metadata?.labels;
  return [
    ["labels", r.object.metadata.labels ?? {}],
    ["pod labels", (template ?? {}) as Record<string, string>],
  ];
}

function objectProblems(spec: MeshConfigSpec, r: RenderedObject): FieldProblem[] {
  const path = originOf(spec, r).path;
  const problems: FieldProblem[] = [];
  const nameIssue = nameProblem(r.object.kind, r.object.metadata.name);
  if (nameIssue)
    problems.push({ path, message: `renders ${describeObject(r)}, whose name ${nameIssue}` });
  for (const [which, labels] of labelSets(r))
    for (const [key, value] of Object.entries(labels))
      if (value.length > 63 || !LABEL_VALUE.test(value))
        problems.push({
          path,
          message: `renders ${describeObject(r)}, whose ${which} ${key}=${value} is no label value`,
        });
  return problems;
}

function identityProblems(spec: MeshConfigSpec, rendered: readonly RenderedObject[]) {
  const first = new Map<string, RenderedObject>();
  const problems: FieldProblem[] = [];
  for (const r of rendered) {
    const id = identityOf(r);
    const earlier = first.get(id);
    if (!earlier) {
      first.set(id, r);
      continue;
    }
    problems.push({
      path: originOf(spec, r).path,
      message: `renders ${describeObject(r)}, which ${originOf(spec, earlier).path} renders too: one would overwrite the other`,
    });
  }
  return problems;
}

/** Every problem of the rendered objects, each at its spec field; empty when all is well. */
export function checkRenderedObjects(
  spec: MeshConfigSpec,
  rendered: readonly RenderedObject[],
): FieldProblem[] {
  const problems = [
    ...identityProblems(spec, rendered),
    ...rendered.flatMap((r) => objectProblems(spec, r)),
    ...checkSelectors(spec, rendered),
    ...checkServices(spec, rendered),
  ];
  // One line per problem, even when two checks see the same cause.
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}: ${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
