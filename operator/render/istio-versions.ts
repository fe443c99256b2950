/**
 * The Istio versions Meshkeeper installs, as data. A version not listed here is refused
 * (Stalled/UnsupportedVersion), never guessed at. Each minor records the facts that change
 * what we render; sources are in docs/research/istio-install-facts.md, and for the CRD sets
 * the minor's istio.io/api module (operator/api/istio-crd-sets.ts, checked against it).
 */
import {
  ISTIO_1_29_CRDS,
  ISTIO_1_30_CRDS,
  ISTIO_1_31_CRDS,
  type IstioCrdSet,
} from "../api/istio-crd-sets.ts";

export interface IstioMinor {
  readonly minor: string;
  /** Patch releases known to exist, oldest first. */
  readonly patches: readonly number[];
  /** The istio-reader ClusterRole also reads ConfigMaps (added in 1.30). */
  readonly readerReadsConfigMaps: boolean;
  /** istiod writes Gateway API ListenerSet status (1.30 on). */
  readonly writesListenerSetStatus: boolean;
  /** The CRDs this minor ships: kinds, served versions, storage version. */
  readonly crds: IstioCrdSet;
  /**
   * The sigs.k8s.io/gateway-api module version this minor's istiod is built against (its
   * go.mod): the standard-channel CRDs installed with it, and the oldest accepted from a
   * cluster that provides its own (gateway-api-versions.ts).
   */
  readonly gatewayAPI: string;
}

export const ISTIO_MINORS: readonly IstioMinor[] = [
  {
    minor: "1.29",
    patches: range(0, 9),
    readerReadsConfigMaps: false,
    writesListenerSetStatus: false,
    crds: ISTIO_1_29_CRDS,
    gatewayAPI: "v1.4.1",
  },
  {
    minor: "1.30",
    patches: range(0, 5),
    readerReadsConfigMaps: true,
    writesListenerSetStatus: true,
    crds: ISTIO_1_30_CRDS,
    gatewayAPI: "v1.5.1",
  },
  {
    minor: "1.31",
    patches: range(0, 1),
    readerReadsConfigMaps: true,
    writesListenerSetStatus: true,
    crds: ISTIO_1_31_CRDS,
    gatewayAPI: "v1.6.0",
  },
];

/** Image names below the hub; the tag is the Istio version. */
export const ISTIO_IMAGES = {
  pilot: "pilot",
  proxy: "proxyv2",
  ztunnel: "ztunnel",
  cni: "install-cni",
} as const;

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

export class UnsupportedVersionError extends Error {
  constructor(version: string) {
    const newest = ISTIO_MINORS.map((m) => `${m.minor}.${m.patches.at(-1) ?? 0}`).join(", ");
    super(
      `Istio ${version} is not supported; supported are ${ISTIO_MINORS.map((m) => `${m.minor}.x`).join(", ")} (newest patches: ${newest})`,
    );
    this.name = "UnsupportedVersionError";
  }
}

export function lookupVersion(version: string): IstioMinor {
  const match = /^(1\.(?:0|[1-9]\d*))\.(0|[1-9]\d*)$/.exec(version);
  const minor = ISTIO_MINORS.find((m) => m.minor === match?.[1]);
  if (!match || !minor || !minor.patches.includes(Number(match[2])))
    throw new UnsupportedVersionError(version);
  return minor;
}
