/**
 * Generates Istio's CustomResourceDefinitions (crds/) from Istio's own CRD file in the
 * istio.io/api module of each supported minor, fetched from the Go module proxy when
 * `npm run generate` runs (upstream-crds.ts); nothing of Istio's is kept in the repository
 * by hand. Which kinds exist, which versions each serves and which it stores is the version
 * table's data (istio-crd-sets.ts); each version's schema, names and printer columns are
 * taken from the newest minor that serves that version, so a field a newer minor added
 * (1.31's `http.redirect.prefixRewrite`, say) is never pruned by the API server.
 *
 * Why not @kubernetes-models/istio's type declarations, the earlier source: its newest
 * release (3.0.1) matches Istio 1.29 and lacks TrafficExtension and every field 1.30 and
 * 1.31 added, and declarations cannot carry Istio's CEL rules, formats or bounds.
 */
import { ISTIO_MINORS } from "../render/istio-versions.ts";
import { generatedCrdFacts, type IstioCrdFacts } from "./istio-crd-sets.ts";
import { upstreamCrds, type CrdDocument } from "./upstream-crds.ts";

type Schema = Record<string, unknown>;
type UpstreamVersion = CrdDocument["spec"]["versions"][number];

/** Each minor's CRD file, read once per generation. */
function upstreamByMinor(): Map<string, readonly CrdDocument[]> {
  return new Map(
    ISTIO_MINORS.map((m) => [m.minor, upstreamCrds("istio.io/api", m.crds.apiModuleVersion)]),
  );
}

function upstreamCrdOf(
  crds: readonly CrdDocument[] | undefined,
  facts: IstioCrdFacts,
): CrdDocument | undefined {
  return crds?.find((c) => c.spec.names.kind === facts.kind && c.spec.group === facts.group);
}

/** The newest minor that serves this version of the kind, and its CRD. */
function sourceOf(
  facts: IstioCrdFacts,
  version: string,
  upstream: ReadonlyMap<string, readonly CrdDocument[]>,
): { crd: CrdDocument; version: UpstreamVersion } {
  const minor = ISTIO_MINORS.findLast((m) =>
    m.crds.crds.some((f) => f.kind === facts.kind && f.versions.includes(version)),
  );
  const crd = upstreamCrdOf(upstream.get(minor?.minor ?? ""), facts);
  const entry = crd?.spec.versions.find((v) => v.name === version);
  if (!minor || !crd || !entry)
    throw new Error(
      `istio.io/api@${minor?.crds.apiModuleVersion ?? "?"} has no ${facts.kind}.${facts.group} ${version}, which the version table lists`,
    );
  return { crd, version: entry };
}

function crdFor(facts: IstioCrdFacts, upstream: ReadonlyMap<string, readonly CrdDocument[]>) {
  const sources = facts.versions.map((version) => sourceOf(facts, version, upstream));
  // Names and scope follow the newest minor that has the kind at all.
  const minor = ISTIO_MINORS.findLast((m) => m.crds.crds.some((f) => f.kind === facts.kind));
  const newest = upstreamCrdOf(upstream.get(minor?.minor ?? ""), facts);
  if (!newest) throw new Error(`no supported minor ships ${facts.kind}.${facts.group}`);
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: newest.metadata.name, labels: { app: "istio-pilot" } },
    spec: {
      group: facts.group,
      names: newest.spec.names,
      scope: (newest.spec as { scope?: string }).scope ?? "Namespaced",
      versions: sources.map(({ version }) => ({
        ...version,
        served: true,
        storage: version.name === facts.storage,
      })),
    },
  };
}

/** Every Istio CRD of any supported minor, by file name (group_plural.yaml), in a stable order. */
export function istioCrds(): Map<string, Schema> {
  const upstream = upstreamByMinor();
  const facts = generatedCrdFacts(ISTIO_MINORS.map((m) => m.crds));
  const crds = new Map<string, Schema>();
  for (const kindFacts of [...facts.values()].sort((a, b) => a.kind.localeCompare(b.kind))) {
    const crd = crdFor(kindFacts, upstream);
    crds.set(`${kindFacts.group}_${crd.spec.names.plural}.yaml`, crd);
  }
  return crds;
}
