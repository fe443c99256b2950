/**
 * Renders handlebars templates into Kubernetes objects. Each component's templates live in
 * templates/<component>/*.yaml.hbs and render in file-name order. The engine is strict:
 * a value the context lacks is an error (never an empty string), only the known helpers
 * exist, and HTML escaping is off because the output is YAML; values reach the output
 * only through the `quote` and `json` helpers of yaml-scalars.ts.
 */
import Handlebars from "handlebars";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { readTemplateYaml } from "./block-yaml.ts";
import { flowValue, quoteString } from "./yaml-scalars.ts";
import type { KubeObject } from "../kube/object.ts";

export const TEMPLATES_DIR = fileURLToPath(new URL("../../templates/", import.meta.url));

/** Helpers a template may call; `quote` and `json` are the only ones that print values. */
export const VALUE_HELPERS = ["quote", "json"] as const;
const CONTROL_HELPERS = ["eq", "and", "or", "not"] as const;

/** A rendered object: the operator's one object type (kube/object.ts). */
export type KubernetesObject = KubeObject;

export class RenderError extends Error {
  constructor(template: string, reason: string, options?: { cause?: unknown }) {
    super(`template ${template}: ${reason}`, options);
    this.name = "RenderError";
  }
}

/** Where in the template a helper was called (handlebars passes its location). */
function lineOf(options: Handlebars.HelperOptions): string {
  const loc = (options as { loc?: { start?: { line?: number } } }).loc;
  return String(loc?.start?.line ?? "?");
}

function engine(): typeof Handlebars {
  const hbs = Handlebars.create();
  hbs.registerHelper("quote", (value: unknown, options: Handlebars.HelperOptions) => {
    if (typeof value !== "string") {
      throw new TypeError(`line ${lineOf(options)}: quote expects a string, got ${typeof value}`);
    }
    return quoteString(value);
  });
  hbs.registerHelper("json", (value: unknown, options: Handlebars.HelperOptions) => {
    if (value === undefined) throw new TypeError(`line ${lineOf(options)}: json got no value`);
    return flowValue(value);
  });
  hbs.registerHelper("eq", (a: unknown, b: unknown) => a === b);
  hbs.registerHelper("and", (a: unknown, b: unknown) => Boolean(a) && Boolean(b));
  hbs.registerHelper("or", (a: unknown, b: unknown) => Boolean(a) || Boolean(b));
  hbs.registerHelper("not", (a: unknown) => !a);
  return hbs;
}

const KNOWN_HELPERS = Object.fromEntries(
  [...VALUE_HELPERS, ...CONTROL_HELPERS, "if", "unless", "each", "with"].map((name) => [
    name,
    true,
  ]),
);

export interface CompiledTemplate {
  readonly name: string;
  readonly source: string;
  readonly render: (context: object) => string;
}

type Node = hbs.AST.Node & {
  body?: Node[];
  program?: Node;
  inverse?: Node;
  path?: hbs.AST.PathExpression;
  params?: unknown[];
};

/**
 * Every place a template prints something must be `{{quote x}}` or `{{json x}}`: a bare
 * `{{x}}`, a triple-stash or a partial could put raw text into the YAML.
 */
export function unsafeOutputs(source: string): string[] {
  const problems: string[] = [];
  const visit = (node: Node | undefined): void => {
    if (!node) return;
    if (node.type === "MustacheStatement") {
      const helper = node.path?.original ?? "?";
      const safe =
        (VALUE_HELPERS as readonly string[]).includes(helper) && node.params?.length === 1;
      if (!safe)
        problems.push(
          `line ${node.loc.start.line}: {{${helper} ...}} prints without quote or json`,
        );
    }
    if (node.type === "PartialStatement" || node.type === "PartialBlockStatement") {
      problems.push(`line ${node.loc.start.line}: partials are not allowed`);
    }
    node.body?.forEach(visit);
    visit(node.program);
    visit(node.inverse);
  };
  visit(Handlebars.parse(source));
  return problems;
}

export function compileTemplate(name: string, source: string): CompiledTemplate {
  const unsafe = unsafeOutputs(source);
  if (unsafe.length > 0) throw new RenderError(name, unsafe.join("; "));
  const hbs = engine();
  const render = hbs.compile(source, {
    noEscape: true,
    strict: true,
    knownHelpers: KNOWN_HELPERS,
    knownHelpersOnly: true,
  });
  return { name, source, render: (context) => render(context) };
}

/** The templates of one component, compiled, in file-name order. */
export function loadComponent(component: string, dir = TEMPLATES_DIR): CompiledTemplate[] {
  const folder = join(dir, component);
  return readdirSync(folder)
    .filter((file) => file.endsWith(".yaml.hbs"))
    .sort()
    .map((file) =>
      compileTemplate(`${component}/${file}`, readFileSync(join(folder, file), "utf8")),
    );
}

function asObject(template: string, value: unknown): KubernetesObject {
  const object = value as Partial<KubernetesObject> | null;
  if (
    !object ||
    typeof object !== "object" ||
    !object.apiVersion ||
    !object.kind ||
    !object.metadata?.name
  ) {
    throw new RenderError(
      template,
      "every document must be an object with apiVersion, kind and metadata.name",
    );
  }
  return object as KubernetesObject;
}

/** Renders one template and parses its YAML documents (empty documents are skipped). */
export function renderTemplate(template: CompiledTemplate, context: object): KubernetesObject[] {
  let text: string;
  try {
    text = template.render(context);
  } catch (error) {
    throw new RenderError(template.name, (error as Error).message, { cause: error });
  }
  const values = readTemplateYaml(text) ?? parseWithYamlPackage(template.name, text);
  return values
    .filter((value) => value !== null && value !== undefined)
    .map((value) => asObject(template.name, value));
}

/** Every document's value, by the full YAML parser: for text beyond block-yaml.ts's subset. */
function parseWithYamlPackage(template: string, text: string): unknown[] {
  return parseAllDocuments(text).map((doc) => {
    const firstError = doc.errors[0];
    if (firstError) throw new RenderError(template, `invalid YAML: ${firstError.message}`);
    return doc.toJS() as unknown;
  });
}
