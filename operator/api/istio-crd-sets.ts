/**
 * Which CustomResourceDefinitions each Istio minor ships: the kinds, the versions each
 * serves and the one it stores. These are Istio's facts, written down as data so a minor
 * gets exactly its own set. Their source is the istio.io/api module of that minor
 * (kubernetes/customresourcedefinitions.gen.yaml, the file Istio's base chart copies):
 * test/istio/istio-crds.test.ts fetches that module from the Go module proxy and compares.
 */

export interface IstioCrdFacts {
  readonly kind: string;
  readonly group: string;
  /** Served versions. */
  readonly versions: readonly string[];
  /** The one version etcd stores. */
  readonly storage: string;
}

export interface IstioCrdSet {
  /** The istio.io/api module version whose CRD file this set was read from. */
  readonly apiModuleVersion: string;
  readonly crds: readonly IstioCrdFacts[];
}

const NETWORKING = "networking.istio.io";
const SECURITY = "security.istio.io";
const EXTENSIONS = "extensions.istio.io";

/** networking.istio.io kinds that went v1 in 1.22 and keep serving their older versions. */
function networkingV1(kind: string): IstioCrdFacts {
  return { kind, group: NETWORKING, versions: ["v1", "v1alpha3", "v1beta1"], storage: "v1" };
}

function securityV1(kind: string): IstioCrdFacts {
  return { kind, group: SECURITY, versions: ["v1", "v1beta1"], storage: "v1" };
}

function single(kind: string, group: string, version: string): IstioCrdFacts {
  return { kind, group, versions: [version], storage: version };
}

/** The fourteen kinds every supported minor has. */
const SINCE_1_29: readonly IstioCrdFacts[] = [
  securityV1("AuthorizationPolicy"),
  networkingV1("DestinationRule"),
  single("EnvoyFilter", NETWORKING, "v1alpha3"),
  networkingV1("Gateway"),
  securityV1("PeerAuthentication"),
  single("ProxyConfig", NETWORKING, "v1beta1"),
  securityV1("RequestAuthentication"),
  networkingV1("ServiceEntry"),
  networkingV1("Sidecar"),
  // Telemetry serves v1 but still stores v1alpha1 (Istio has not moved its storage yet).
  {
    kind: "Telemetry",
    group: "telemetry.istio.io",
    versions: ["v1", "v1alpha1"],
    storage: "v1alpha1",
  },
  networkingV1("VirtualService"),
  single("WasmPlugin", EXTENSIONS, "v1alpha1"),
  networkingV1("WorkloadEntry"),
  networkingV1("WorkloadGroup"),
];

/** TrafficExtension (WebAssembly or Lua filters) arrived with the 1.30 line. */
const SINCE_1_30: readonly IstioCrdFacts[] = [
  ...SINCE_1_29,
  single("TrafficExtension", EXTENSIONS, "v1alpha1"),
];

export const ISTIO_1_29_CRDS: IstioCrdSet = { apiModuleVersion: "v1.29.2", crds: SINCE_1_29 };
export const ISTIO_1_30_CRDS: IstioCrdSet = { apiModuleVersion: "v1.30.8", crds: SINCE_1_30 };
export const ISTIO_1_31_CRDS: IstioCrdSet = { apiModuleVersion: "v1.31.0", crds: SINCE_1_30 };

/**
 * What crds/ holds for each kind: every version any minor serves, stored as the newest
 * minor that has the kind stores it. The renderer cuts each minor's own set out of these.
 */
export function generatedCrdFacts(
  setsOldestFirst: readonly IstioCrdSet[],
): ReadonlyMap<string, IstioCrdFacts> {
  const byKind = new Map<string, IstioCrdFacts>();
  for (const set of setsOldestFirst)
    for (const facts of set.crds) {
      const older = byKind.get(facts.kind);
      const versions = [...new Set([...facts.versions, ...(older?.versions ?? [])])];
      byKind.set(facts.kind, { ...facts, versions });
    }
  return byKind;
}
