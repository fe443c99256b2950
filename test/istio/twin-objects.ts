/**
 * Twin Gateways on two istiods: ours, and a reference istiod's under its own revision,
 * serving the injection config `istioctl manifest generate` writes from the same Istio
 * module (upstream-reference.ts), started with our istiod's environment and arguments.
 *
 * What both deployment controllers created is made comparable: server-assigned fields and
 * status dropped, the Gateway's name replaced (its UID goes with the server fields), the
 * reference's revision read as ours and the revision label it copies from its Gateway
 * dropped, and PROXY_CONFIG compared as parsed JSON. The comparison itself is
 * injection-diff.ts's.
 */
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { inject } from "vitest";
import type { MeshConfigSpec } from "../../operator/api/mesh-config-spec.ts";
import { IstiodProcess } from "../../operator/local/istiod-process.ts";
import type { MeshIstiod } from "../../operator/local/mesh-istiod.ts";
import { caSecret, type RealMesh } from "./real-istio.ts";
import { generateUpstreamInjection, writeReferenceFiles } from "./upstream-reference.ts";

type Json = Record<string, any>;

const SERVER_FIELDS = new Set([
  "uid",
  "resourceVersion",
  "creationTimestamp",
  "managedFields",
  "generation",
  "clusterIP",
  "nodePort",
  "clusterIPs",
  "status",
]);

export interface ReferenceIstiod {
  /** Its revision (REVISION), which its twin Gateway names in `istio.io/rev`. */
  revision: string;
  /** Its POD_NAMESPACE (leases, class defaults), a namespace of its own. */
  namespace: string;
  /** Its label in logs and errors. */
  name: string;
}

/** A reference istiod serving upstream's injection config for `spec`, ready. */
export async function startReferenceIstiod(
  real: RealMesh,
  istiod: MeshIstiod,
  spec: MeshConfigSpec,
  reference: ReferenceIstiod,
): Promise<IstiodProcess> {
  const upstream = await generateUpstreamInjection(inject("istio").istioctl, spec);
  const workDir = mkdtempSync(join(real.workDir, `${reference.revision}-`));
  await writeReferenceFiles(workDir, upstream, await caSecret(real.admin));
  return IstiodProcess.start({
    binary: inject("istio").pilotDiscovery,
    workDir,
    kubeconfig: inject("cluster").kubeconfig,
    args: istiod.container.args ?? ["discovery"],
    env: {
      ...istiod.env,
      REVISION: reference.revision,
      POD_NAME: `istiod-${reference.revision}`,
      POD_NAMESPACE: reference.namespace,
    },
    name: reference.name,
  });
}

export interface TwinNames {
  /** The reference istiod's revision (on its Gateway's `istio.io/rev` label). */
  referenceRevision: string;
  /** Our istiod's revision (`default` when the mesh has none). */
  revision: string;
}

/**
 * An object istiod created for the Gateway named `gatewayName`: the name wherever it stands
 * as a whole (a value, `<name>.$(POD_NAMESPACE)`, `.../deployments/<name>`) and as the prefix
 * of `<name>-istio` (class istio's objects) reads as GATEWAY. Both twins are read so, so a
 * replacement can only hide a difference where one twin has the other's name.
 */
export function comparableTwin(
  object: Json | undefined,
  gatewayName: string,
  names: TwinNames,
): Json {
  const text = JSON.stringify(object ?? {}, (key, value: unknown) =>
    SERVER_FIELDS.has(key) ? undefined : value,
  )
    .replaceAll(`${gatewayName}-istio`, "GATEWAY-istio")
    .replaceAll(wholeName(gatewayName), "GATEWAY")
    .replaceAll(names.referenceRevision, names.revision);
  const copy = JSON.parse(text) as Json;
  dropRevisionLabels(copy);
  parseProxyConfig(copy);
  return copy;
}

/** The name not inside a longer name (letters, digits, `-` on neither side). */
function wholeName(name: string): RegExp {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![A-Za-z0-9-])${escaped}(?![A-Za-z0-9-])`, "g");
}

/** The twin carries the reference's revision label (copied from its Gateway); ours has none. */
function dropRevisionLabels(object: Json): void {
  const labels: (Json | undefined)[] = [
    object.metadata?.labels,
    object.spec?.template?.metadata?.labels,
  ];
  for (const set of labels) if (set) Reflect.deleteProperty(set, "istio.io/rev");
}

function parseProxyConfig(object: Json): void {
  const containers: Json[] = object.spec?.template?.spec?.containers ?? [];
  for (const env of containers.flatMap((c) => (c.env ?? []) as Json[]))
    if (env.name === "PROXY_CONFIG") env.value = JSON.parse(env.value as string);
}
