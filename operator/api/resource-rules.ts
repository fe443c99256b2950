/**
 * The API server's rules for container resources (ValidateContainerResourceRequirements),
 * checked at admission of the MeshConfig rather than as a failed Deployment apply later:
 * known names only, whole numbers for extended resources, requests at most their limits,
 * and requests equal to limits where Kubernetes allows no overcommit.
 */
import { celValidations, refineWith, type Rule, type Violation } from "./cel-rules.ts";
import { compareQuantities, isWholeNumber, parseQuantity } from "./quantity.ts";

type Quantity = number | string;
type ResourceList = Readonly<Record<string, Quantity>>;
interface Requirements {
  readonly requests?: ResourceList | undefined;
  readonly limits?: ResourceList | undefined;
}

const STANDARD = ["cpu", "memory", "ephemeral-storage"];

/** Kubernetes' IsNativeResource: unprefixed, or in the kubernetes.io domain. */
const isNative = (name: string) => !name.includes("/") || name.includes("kubernetes.io/");
/** Kubernetes' IsOvercommitAllowed: native resources other than huge pages. */
const overcommits = (name: string) => isNative(name) && !name.startsWith("hugepages-");

// CEL spellings of the same predicates, over a resource name `k`.
const CEL_NATIVE = "(!k.contains('/') || k.contains('kubernetes.io/'))";
const CEL_OVERCOMMITS = `(${CEL_NATIVE} && !k.startsWith('hugepages-'))`;
const celQuantity = (list: string) => `quantity(string(${list}[k]))`;
const celIsQuantity = (list: string) => `isQuantity(string(${list}[k]))`;

function compared(requirements: Requirements, name: string): number | undefined {
  const request = requirements.requests?.[name];
  const limit = requirements.limits?.[name];
  if (request === undefined || limit === undefined) return undefined;
  const [r, l] = [parseQuantity(request), parseQuantity(limit)];
  return r && l ? compareQuantities(r, l) : undefined;
}

const requestNames = (requirements: Requirements) => Object.keys(requirements.requests ?? {});

export const RESOURCE_LIST_RULES: readonly Rule<ResourceList>[] = [
  {
    rule: `self.all(k, k.contains('/') || k in ${JSON.stringify(STANDARD).replaceAll('"', "'")} || k.startsWith('hugepages-'))`,
    message:
      "a resource name without a domain must be cpu, memory, ephemeral-storage or hugepages-<size>; others need one, e.g. example.com/gpu",
    violations: (list) =>
      Object.keys(list)
        .filter((k) => !k.includes("/") && !STANDARD.includes(k) && !k.startsWith("hugepages-"))
        .map((k) => ({ path: [k] })),
  },
  {
    rule: `self.all(k, ${CEL_NATIVE} || (!k.startsWith('requests.') && (!${celIsQuantity("self")} || ${celQuantity("self")}.isInteger())))`,
    message:
      "an extended resource (e.g. example.com/gpu) takes a whole number and no 'requests.' prefix",
    violations: (list) =>
      Object.entries(list)
        .filter(([k, v]) => {
          if (isNative(k)) return false;
          const q = parseQuantity(v);
          return k.startsWith("requests.") || (q !== undefined && !isWholeNumber(q));
        })
        .map(([k]) => ({ path: [k] })),
  },
];

export const RESOURCE_REQUIREMENT_RULES: readonly Rule<Requirements>[] = [
  {
    rule: `!has(self.requests) || !has(self.limits) || self.requests.all(k, !(k in self.limits) || !${celIsQuantity("self.requests")} || !${celIsQuantity("self.limits")} || ${celQuantity("self.requests")}.compareTo(${celQuantity("self.limits")}) <= 0)`,
    message: "every request must be at most its limit",
    fieldPath: ".requests",
    violations: (requirements) =>
      requestNames(requirements)
        .filter((k) => (compared(requirements, k) ?? 0) > 0)
        .map((k): Violation => ({
          path: ["requests", k],
          message: `must be at most the ${k} limit (${String(requirements.limits?.[k])})`,
        })),
  },
  {
    rule: `!has(self.requests) || self.requests.all(k, ${CEL_OVERCOMMITS} || (has(self.limits) && k in self.limits && (!${celIsQuantity("self.requests")} || !${celIsQuantity("self.limits")} || ${celQuantity("self.requests")}.compareTo(${celQuantity("self.limits")}) == 0)))`,
    message:
      "extended resources and huge pages cannot be overcommitted: give each requested one a limit equal to its request",
    fieldPath: ".requests",
    violations: (requirements) =>
      requestNames(requirements)
        .filter((k) => !overcommits(k))
        .filter((k) => requirements.limits?.[k] === undefined || compared(requirements, k) !== 0)
        .map((k) => ({ path: ["requests", k] })),
  },
];

export const resourceListChecks = {
  validations: celValidations(RESOURCE_LIST_RULES),
  refine: refineWith(RESOURCE_LIST_RULES),
};
export const resourceRequirementChecks = {
  validations: celValidations(RESOURCE_REQUIREMENT_RULES),
  refine: refineWith(RESOURCE_REQUIREMENT_RULES),
};
