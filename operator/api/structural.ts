/**
 * Turns the JSON Schema that zod writes (draft 2020-12) into a Kubernetes structural
 * OpenAPI v3 schema. Each rewrite below exists because the API server rejects or
 * misreads the zod form:
 *   - $schema, propertyNames: not allowed in a CRD schema (a key length limit and a key
 *     pattern become CEL rules instead).
 *   - additionalProperties next to properties (zod's "no other keys"): not structural;
 *     the API server prunes unknown fields anyway.
 *   - additionalProperties {} (a map of anything): expressed as preserve-unknown-fields.
 *   - anyOf [integer, string]: int-or-string, the one anyOf shape Kubernetes allows,
 *     with the types moved out of the branches and the string pattern hoisted.
 *   - the integer bounds zod adds for int32/safe integers: formats int32/int64 instead.
 *   - exclusiveMinimum/Maximum as numbers (2020-12): booleans in OpenAPI v3.0.
 *   - format date-time: the API server checks it, so zod's long regex is dropped.
 */
type Schema = Record<string, unknown>;

const INT32 = [-2147483648, 2147483647];
const SAFE = [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function integerFormat(node: Schema): void {
  if (node.type !== "integer") return;
  if (node.maximum === INT32[1] || node.minimum === INT32[0]) node.format = "int32";
  else if (node.maximum === SAFE[1] || node.minimum === SAFE[0]) node.format = "int64";
  if (node.minimum === INT32[0] || node.minimum === SAFE[0]) delete node.minimum;
  if (node.maximum === INT32[1] || node.maximum === SAFE[1]) delete node.maximum;
}

function exclusiveBounds(node: Schema): void {
  for (const [exclusive, bound] of [
    ["exclusiveMinimum", "minimum"],
    ["exclusiveMaximum", "maximum"],
  ] as const) {
    if (typeof node[exclusive] === "number") {
      node[bound] = node[exclusive];
      node[exclusive] = true;
    }
  }
}

function intOrString(node: Schema): void {
  const branches = node.anyOf;
  if (!Array.isArray(branches) || branches.length !== 2) return;
  const types = branches.map((b) => (isSchema(b) ? b.type : undefined)).sort();
  if (types[0] !== "integer" || types[1] !== "string") return;
  const stringBranch = branches.find((b) => isSchema(b) && b.type === "string") as Schema;
  const integerBranch = branches.find((b) => isSchema(b) && b.type === "integer") as Schema;
  node.anyOf = [{ type: "integer" }, { type: "string" }];
  node["x-kubernetes-int-or-string"] = true;
  // Value checks apply by type (pattern to strings, bounds to numbers), so both can sit here.
  for (const key of ["pattern", "maxLength", "minLength"]) {
    if (stringBranch[key] !== undefined) node[key] = stringBranch[key];
  }
  integerFormat(integerBranch);
  for (const key of ["minimum", "maximum"]) {
    if (integerBranch[key] !== undefined) node[key] = integerBranch[key];
  }
}

/** Map keys have no schema in a CRD, so a key length limit becomes a CEL rule. */
function keyLengthRule(node: Schema): void {
  const names = node.propertyNames;
  if (!isSchema(names) || typeof names.maxLength !== "number") return;
  const existing = node["x-kubernetes-validations"];
  const rules: unknown[] = Array.isArray(existing) ? existing : [];
  node["x-kubernetes-validations"] = [
    ...rules,
    {
      rule: `self.all(k, size(k) <= ${names.maxLength})`,
      message: `keys must be at most ${names.maxLength} characters`,
    },
    ...(typeof names.pattern === "string" ? [keyPatternRule(names.pattern)] : []),
  ];
}

/** A key pattern as a CEL rule: a raw string, so the regex reaches RE2 unchanged. */
function keyPatternRule(pattern: string) {
  if (pattern.includes("'")) throw new Error(`key pattern ${pattern} cannot be a CEL raw string`);
  return { rule: `self.all(k, k.matches(r'${pattern}'))`, message: `keys must match ${pattern}` };
}

function objectShape(node: Schema): void {
  keyLengthRule(node);
  delete node.propertyNames;
  if (node.properties !== undefined) {
    delete node.additionalProperties;
  } else if (
    isSchema(node.additionalProperties) &&
    Object.keys(node.additionalProperties).length === 0
  ) {
    delete node.additionalProperties;
    node["x-kubernetes-preserve-unknown-fields"] = true;
  }
  if (node["x-kubernetes-preserve-unknown-fields"] === true) delete node.additionalProperties;
}

/** Returns a structural copy of the schema; the input is not changed. */
export function toStructural(input: Schema): Schema {
  const node: Schema = structuredClone(input);
  delete node.$schema;
  intOrString(node);
  integerFormat(node);
  exclusiveBounds(node);
  objectShape(node);
  if (node.format === "date-time") delete node.pattern;
  if (isSchema(node.properties)) {
    node.properties = Object.fromEntries(
      Object.entries(node.properties).map(([key, value]) => [key, toStructural(value as Schema)]),
    );
  }
  if (isSchema(node.items)) node.items = toStructural(node.items);
  if (isSchema(node.additionalProperties))
    node.additionalProperties = toStructural(node.additionalProperties);
  return node;
}
