/**
 * Generates Istio's CustomResourceDefinitions from @kubernetes-models/istio. That package
 * ships each Istio kind's schema as a typed declaration (with the field descriptions) and
 * a compiled validator, but no JSON schema, so the declarations are read with the
 * TypeScript compiler and turned into structural schemas (type-to-schema.ts). Names, short
 * names and storage versions are Istio's facts, listed here.
 */
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import ts from "typescript";
import { lintStructural } from "./structural-lint.ts";
import { TypeToSchema } from "./type-to-schema.ts";

type Schema = Record<string, unknown>;

interface KindFacts {
  readonly plural: string;
  readonly shortNames: readonly string[];
}

/** Istio's names for each kind; a kind missing here is a generator error, not a guess. */
const KINDS: Readonly<Record<string, KindFacts>> = {
  DestinationRule: { plural: "destinationrules", shortNames: ["dr"] },
  EnvoyFilter: { plural: "envoyfilters", shortNames: [] },
  Gateway: { plural: "gateways", shortNames: ["gw"] },
  ProxyConfig: { plural: "proxyconfigs", shortNames: [] },
  ServiceEntry: { plural: "serviceentries", shortNames: ["se"] },
  Sidecar: { plural: "sidecars", shortNames: [] },
  VirtualService: { plural: "virtualservices", shortNames: ["vs"] },
  WorkloadEntry: { plural: "workloadentries", shortNames: ["we"] },
  WorkloadGroup: { plural: "workloadgroups", shortNames: ["wg"] },
  AuthorizationPolicy: { plural: "authorizationpolicies", shortNames: ["ap"] },
  PeerAuthentication: { plural: "peerauthentications", shortNames: ["pa"] },
  RequestAuthentication: { plural: "requestauthentications", shortNames: ["ra"] },
  Telemetry: { plural: "telemetries", shortNames: ["telemetry"] },
  WasmPlugin: { plural: "wasmplugins", shortNames: [] },
};

/** API groups of the mesh's configuration (install.istio.io, the IstioOperator, is not one). */
const GROUPS = [
  "networking.istio.io",
  "security.istio.io",
  "telemetry.istio.io",
  "extensions.istio.io",
];

function packageRoot(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve("@kubernetes-models/istio/package.json"));
}

interface Declaration {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly file: string;
}

function declarations(root: string): Declaration[] {
  return GROUPS.flatMap((group) =>
    readdirSync(join(root, group), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .flatMap((entry) =>
        readdirSync(join(root, group, entry.name))
          .filter((file) => file.endsWith(".d.ts") && file !== "index.d.ts")
          .map((file) => ({
            group,
            version: entry.name,
            kind: file.replace(/\.d\.ts$/, ""),
            file: join(root, group, entry.name, file),
          })),
      ),
  );
}

function specSchema(program: ts.Program, declaration: Declaration): Schema {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(declaration.file);
  const model = source?.statements.find(
    (s): s is ts.InterfaceDeclaration =>
      ts.isInterfaceDeclaration(s) && s.name.text === `I${declaration.kind}`,
  );
  if (!model) throw new Error(`${declaration.file}: no interface I${declaration.kind}`);
  const spec = checker.getPropertyOfType(checker.getTypeAtLocation(model.name), "spec");
  if (!spec) throw new Error(`${declaration.file}: I${declaration.kind} has no spec`);
  const converter = new TypeToSchema(checker, model);
  const schema = converter.schemaOf(
    checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(spec, model)),
  );
  const description = ts.displayPartsToString(spec.getDocumentationComment(checker)).trim();
  return description ? { description, ...schema } : schema;
}

/** Storage: v1 where it exists (Istio stores v1 since 1.27/1.28), else the only version. */
function storageVersion(versions: readonly string[]): string {
  return versions.includes("v1") ? "v1" : (versions[0] ?? "");
}

function versionOrder(a: string, b: string): number {
  const rank = (v: string) => (v === "v1" ? 0 : v.startsWith("v1beta") ? 1 : 2);
  return rank(a) - rank(b) || a.localeCompare(b);
}

function crdFor(
  kind: string,
  group: string,
  versions: { version: string; spec: Schema }[],
): Schema {
  const facts = KINDS[kind];
  if (!facts) throw new Error(`no Istio facts for kind ${kind}; add it to KINDS`);
  const sorted = [...versions].sort((a, b) => versionOrder(a.version, b.version));
  const storage = storageVersion(sorted.map((v) => v.version));
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${facts.plural}.${group}`, labels: { app: "istio-pilot" } },
    spec: {
      group,
      scope: "Namespaced",
      names: {
        kind,
        listKind: `${kind}List`,
        plural: facts.plural,
        singular: kind.toLowerCase(),
        ...(facts.shortNames.length > 0 ? { shortNames: [...facts.shortNames] } : {}),
        categories: ["istio-io", group.replaceAll(".", "-")],
      },
      versions: sorted.map(({ version, spec }) => ({
        name: version,
        served: true,
        storage: version === storage,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
        ],
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              // istiod writes status in its own shape; the API server keeps whatever it writes.
              spec,
              status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
            },
          },
        },
      })),
    },
  };
}

/** Every Istio CRD, by file name (group_plural.yaml), in a stable order. */
export function istioCrds(): Map<string, Schema> {
  const found = declarations(packageRoot());
  const program = ts.createProgram(
    found.map((d) => d.file),
    {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
    },
  );
  const byKind = new Map<
    string,
    { group: string; versions: { version: string; spec: Schema }[] }
  >();
  for (const declaration of found) {
    const entry = byKind.get(declaration.kind) ?? { group: declaration.group, versions: [] };
    entry.versions.push({ version: declaration.version, spec: specSchema(program, declaration) });
    byKind.set(declaration.kind, entry);
  }
  const crds = new Map<string, Schema>();
  for (const [kind, { group, versions }] of [...byKind].sort(([a], [b]) => a.localeCompare(b))) {
    const crd = crdFor(kind, group, versions);
    for (const version of versions) {
      const problems = lintStructural(version.spec, `${kind}.${version.version}.spec`, false, {
        bounds: false,
      });
      if (problems.length > 0)
        throw new Error(`the generated ${kind} schema is not structural:\n${problems.join("\n")}`);
    }
    crds.set(`${group}_${KINDS[kind]?.plural ?? kind}.yaml`, crd);
  }
  return crds;
}
