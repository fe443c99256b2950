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
