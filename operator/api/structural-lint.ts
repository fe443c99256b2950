/**
 * Our own check that a CRD schema is structural and follows the project's rules, run on
 * every generated CRD. It reports every problem with its path, so a change to the zod
 * schema that the post-processor cannot express fails the build instead of the cluster.
 */
type Schema = Record<string, unknown>;

const FORBIDDEN = [
  "$ref",
  "$schema",
  "$defs",
  "definitions",
  "oneOf",
  "allOf",
  "not",
  "propertyNames",
  "const",
  "nullable",
];

const TYPES = ["object", "array", "string", "integer", "number", "boolean"];

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Rules of structural schemas: every node typed, no combinators that carry types. */
function typeProblems(node: Schema): string[] {
  const problems: string[] = [];
  const intOrString = node["x-kubernetes-int-or-string"] === true;
  const preserve = node["x-kubernetes-preserve-unknown-fields"] === true;
  if (node.type === undefined && !intOrString && !preserve)
    problems.push("every node needs a type");
  if (node.type !== undefined && !TYPES.includes(node.type as string)) {
    problems.push(`type must be one of ${TYPES.join(", ")}, not ${JSON.stringify(node.type)}`);
  }
  const typedBranch =
    Array.isArray(node.anyOf) && node.anyOf.some((branch) => isSchema(branch) && "type" in branch);
  if (typedBranch && !intOrString) problems.push("anyOf branches may not set types");
  if (node.properties !== undefined && node.additionalProperties !== undefined) {
    problems.push("additionalProperties next to properties");
  }
  return problems;
}

/** The project's own rules: bounded sizes (CEL cost, input size) and no defaults in items. */
function boundProblems(node: Schema, inItems: boolean): string[] {
  const problems: string[] = [];
  if (node.uniqueItems === true) problems.push("uniqueItems is not allowed");
  if (inItems && "default" in node)
    problems.push("defaults inside list items are not allowed here");
  if (node.type === "array" && node.items === undefined) problems.push("an array needs items");
  if (node.type === "array" && node.maxItems === undefined)
    problems.push("an array needs maxItems");
  const unbounded =
    node.maxLength === undefined && node.format === undefined && node.enum === undefined;
  if (node.type === "string" && unbounded) {
    problems.push("a string needs a maxLength (CEL cost and input size)");
  }
  return problems;
}

export interface LintOptions {
  /** Apply the project's own size rules; off for schemas we do not author (Istio's). */
  readonly bounds: boolean;
}

function nodeProblems(
  node: Schema,
  path: string,
  inItems: boolean,
  options: LintOptions,
): string[] {
  const forbidden = FORBIDDEN.filter((key) => key in node).map((key) => `${key} is not allowed`);
  const bounds = options.bounds ? boundProblems(node, inItems) : [];
  return [...forbidden, ...typeProblems(node), ...bounds]
    .map((problem) => `${path}: ${problem}`)
    .concat(listMapProblems(node, path));
}

function listMapProblems(node: Schema, path: string): string[] {
  if (node["x-kubernetes-list-type"] !== "map") return [];
  const keys = node["x-kubernetes-list-map-keys"];
  const items = node.items;
  if (!Array.isArray(keys) || !isSchema(items)) return [`${path}: a list-map needs keys and items`];
  const required = Array.isArray(items.required) ? items.required : [];
  return keys
    .filter((key) => !required.includes(key))
    .map((key) => `${path}: list-map key ${String(key)} must be required`);
}

export function lintStructural(
  node: Schema,
  path = "",
  inItems = false,
  options: LintOptions = { bounds: true },
): string[] {
  const problems = nodeProblems(node, path || "<root>", inItems, options);
  if (isSchema(node.properties)) {
    for (const [key, child] of Object.entries(node.properties)) {
      if (isSchema(child))
        problems.push(...lintStructural(child, `${path}.${key}`, inItems, options));
    }
  }
  if (isSchema(node.items))
    problems.push(...lintStructural(node.items, `${path}[*]`, true, options));
  if (isSchema(node.additionalProperties)) {
    problems.push(...lintStructural(node.additionalProperties, `${path}[*]`, inItems, options));
  }
  return problems;
}
