/**
 * The versions and build recipe of every binary the local control plane runs. This is
 * data: bumping a version here (and in the matching tools/ Go module) is the whole upgrade.
 */
export interface BinarySpec {
  /** File name of the binary, also the suffix of its TEST_ASSET_<NAME> variable. */
  readonly name: string;
  /** Version the cache folder is keyed by and the binary reports. */
  readonly version: string;
  /** Go module folder under tools/ that pins the source. */
  readonly toolsModule: string;
  /** Go package path of the main package. */
  readonly goPackage: string;
  /** -X settings that stamp the real version into the binary. */
  readonly versionStamps: Readonly<Record<string, string>>;
}

export const KUBERNETES_VERSION = "v1.36.3";
export const ETCD_VERSION = "v3.6.16";
export const KWOK_VERSION = "v0.8.0";

function kubernetesStamps(): Record<string, string> {
  const [major, minor] = KUBERNETES_VERSION.slice(1).split(".");
  const stamps: Record<string, string> = {};
  // component-base feeds /version and --version; client-go's copy feeds the user agent.
  for (const pkg of ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]) {
    stamps[`${pkg}.gitVersion`] = KUBERNETES_VERSION;
    stamps[`${pkg}.gitMajor`] = major ?? "";
    stamps[`${pkg}.gitMinor`] = minor ?? "";
    stamps[`${pkg}.gitTreeState`] = "archive";
  }
  return stamps;
}

function kubernetesBinary(name: string): BinarySpec {
  return {
    name,
    version: KUBERNETES_VERSION,
    toolsModule: "kubernetes",
    goPackage: `k8s.io/kubernetes/cmd/${name}`,
    versionStamps: kubernetesStamps(),
  };
}

export const BINARIES = {
  etcd: {
    name: "etcd",
    version: ETCD_VERSION,
    toolsModule: "etcd",
    // etcd's own module root is its main package; its version is a constant in the source.
    goPackage: "go.etcd.io/etcd/server/v3",
    versionStamps: {},
  },
  kubeApiserver: kubernetesBinary("kube-apiserver"),
  kubeControllerManager: kubernetesBinary("kube-controller-manager"),
  kubeScheduler: kubernetesBinary("kube-scheduler"),
  kubectl: kubernetesBinary("kubectl"),
  kwok: {
    name: "kwok",
    version: KWOK_VERSION,
    toolsModule: "kwok",
    goPackage: "sigs.k8s.io/kwok/cmd/kwok",
    versionStamps: { "sigs.k8s.io/kwok/pkg/consts.Version": KWOK_VERSION.slice(1) },
  },
} as const satisfies Record<string, BinarySpec>;

export type BinaryKey = keyof typeof BINARIES;
export type BinaryPaths = Record<BinaryKey, string>;

/**
 * Istio's own binaries for the real-Istio test tier, from the istio.io/istio module pinned
 * in tools/istio (the 1.31 line: its go.mod requires istio.io/api v1.31.0-rc). Istio
 * publishes no semver module tags, so the pin is a pseudo-version; the binaries report
 * the release line they were cut from, with the commit.
 */
export const ISTIO_MODULE_VERSION = "v0.0.0-20260827124520-eed52ebb66ad";
export const ISTIO_BUILD_VERSION = "1.31.0";
const ISTIO_COMMIT = ISTIO_MODULE_VERSION.split("-").at(-1) ?? "unknown";

export const ISTIO_VERSION_STAMPS: Readonly<Record<string, string>> = {
  "istio.io/istio/pkg/version.buildVersion": ISTIO_BUILD_VERSION,
  "istio.io/istio/pkg/version.buildGitRevision": ISTIO_COMMIT,
  "istio.io/istio/pkg/version.buildTag": ISTIO_BUILD_VERSION,
  "istio.io/istio/pkg/version.buildStatus": "Clean",
  "istio.io/istio/pkg/version.buildHub": "docker.io/istio",
};

function istioBinary(name: string, goPackage: string): BinarySpec {
  return {
    name,
    version: ISTIO_MODULE_VERSION,
    toolsModule: "istio",
    goPackage,
    versionStamps: ISTIO_VERSION_STAMPS,
  };
}

/** Upstream's commands; our helpers beside them are versioned by their sources (istio-binaries.ts). */
export const ISTIO_UPSTREAM_BINARIES = {
  pilotDiscovery: istioBinary("pilot-discovery", "istio.io/istio/pilot/cmd/pilot-discovery"),
  istioctl: istioBinary("istioctl", "istio.io/istio/istioctl/cmd/istioctl"),
} as const satisfies Record<string, BinarySpec>;

export const ISTIO_HELPER_PACKAGES = {
  istioCaClient: "meshkeeper.dev/tools/istio/cmd/istio-ca-client",
  xdsClient: "meshkeeper.dev/tools/istio/cmd/xds-client",
} as const;
