/**
 * Turns a TypeScript type (from a declaration file) into a structural OpenAPI schema:
 * the bridge from @kubernetes-models/istio, which ships its Istio schemas as typed
 * declarations with their descriptions, to CRDs the API server understands.
 *
 *   string | number | boolean            -> the same type
 *   "A" | "B"                            -> string with enum
 *   number | string                      -> int-or-string
 *   T[]                                  -> array of T
 *   { [key: string]: T }                 -> map of T
 *   { a?: T; b: U } (and & of them)      -> object, b required, descriptions from the doc comments
 *   union of object shapes (oneOf)       -> object with every shape's properties
 *   any, unknown, too deep               -> preserve-unknown-fields
 */
import ts from "typescript";

type Schema = Record<string, unknown>;

const PRESERVE: Schema = { type: "object", "x-kubernetes-preserve-unknown-fields": true };
const MAX_DEPTH = 24;

export class TypeToSchema {
  private readonly checker: ts.TypeChecker;
  private readonly location: ts.Node;

  constructor(checker: ts.TypeChecker, location: ts.Node) {
    this.checker = checker;
    this.location = location;
  }

  schemaOf(type: ts.Type, depth = 0): Schema {
    if (depth > MAX_DEPTH || type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown))
      return { ...PRESERVE };
    if (type.isUnion()) return this.unionSchema(type, depth);
    if (type.flags & ts.TypeFlags.StringLike) return { type: "string" };
    if (type.flags & ts.TypeFlags.NumberLike) return { type: "number" };
    if (type.flags & ts.TypeFlags.BooleanLike) return { type: "boolean" };
    // A oneOf can come out as `Array<X> & (...)`: the array is what the value is.
    const array = type.isIntersection()
      ? type.types.find((t) => this.checker.isArrayType(t))
      : type;
    if (array && this.checker.isArrayType(array)) {
      const [item] = this.checker.getTypeArguments(array as ts.TypeReference);
      return { type: "array", items: item ? this.schemaOf(item, depth + 1) : { ...PRESERVE } };
    }
    return this.objectSchema([type], depth);
  }

  private unionSchema(type: ts.UnionType, depth: number): Schema {
    const members = type.types.filter(
      (t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)),
    );
    const [only] = members;
    if (members.length === 1 && only) return this.schemaOf(only, depth);
    if (members.every((t) => t.isStringLiteral())) {
      return { type: "string", enum: members.map((t) => t.value) };
    }
    if (members.every((t) => t.flags & ts.TypeFlags.BooleanLike)) return { type: "boolean" };
    const kinds = new Set(
      members.map((t) =>
        t.flags & ts.TypeFlags.NumberLike
          ? "number"
          : t.flags & ts.TypeFlags.StringLike
            ? "string"
            : "other",
      ),
    );
    if (!kinds.has("other")) return { "x-kubernetes-int-or-string": true };
    const objects = members.filter(
      (t) => t.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection),
    );
    return objects.length === members.length ? this.objectSchema(objects, depth) : { ...PRESERVE };
  }

  /** One object schema from one or more shapes (several when the source had a oneOf). */
  private objectSchema(shapes: readonly ts.Type[], depth: number): Schema {
    const properties: Record<string, Schema> = {};
    const requiredCounts = new Map<string, number>();
    let mapValue: ts.Type | undefined;
    for (const shape of shapes) {
      mapValue ??= this.checker.getIndexInfosOfType(shape)[0]?.type;
      for (const property of this.checker.getPropertiesOfType(shape)) {
        if (!(property.name in properties))
          properties[property.name] = this.propertySchema(property, depth);
        if (!(property.flags & ts.SymbolFlags.Optional)) {
          requiredCounts.set(property.name, (requiredCounts.get(property.name) ?? 0) + 1);
        }
      }
    }
    if (Object.keys(properties).length === 0) return this.mapSchema(mapValue, depth);
    // Required only when every shape requires it.
    const required = [...requiredCounts]
      .filter(([, n]) => n === shapes.length)
      .map(([name]) => name);
    return {
      type: "object",
      properties,
      ...(required.length > 0 ? { required: required.sort() } : {}),
    };
  }

  /** { [key: string]: T } as a map of T; a map of anything keeps unknown fields. */
  private mapSchema(value: ts.Type | undefined, depth: number): Schema {
    const schema = value ? this.schemaOf(value, depth + 1) : undefined;
    return schema && !schema["x-kubernetes-preserve-unknown-fields"]
      ? { type: "object", additionalProperties: schema }
      : { ...PRESERVE };
  }

  private propertySchema(property: ts.Symbol, depth: number): Schema {
    const type = this.checker.getTypeOfSymbolAtLocation(property, this.location);
    const schema = this.schemaOf(type, depth + 1);
    const description = ts
      .displayPartsToString(property.getDocumentationComment(this.checker))
      .trim();
    return description ? { description, ...schema } : schema;
  }
}
