/**
 * Parity with upstream's waypoint template on real istiods. The operator converges an
 * ambient mesh; our istiod (exactly the operator's Deployment, RBAC and injector ConfigMap)
 * deploys a waypoint Gateway through the operator's `waypoint` template. A reference
 * istiod (its own revision, an administrator's credentials, ambient on as ours) serves the
 * injection config `istioctl manifest generate --set profile=ambient` writes from the same
 * Istio module, and deploys a twin waypoint Gateway labelled with its revision through
 * upstream's template (manifests/charts/istio-control/istio-discovery/files/waypoint.yaml).
 * The ServiceAccount, Deployment and Service both create must be equal once names, UIDs
 * and the revision are read as the same (twin-objects.ts, injection-diff.ts).
 *
 * The waypoint class sets no name suffix: istiod's objects are named as the Gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MeshConfigSpec } from "../../operator/api/mesh-config-spec.ts";
import { validateSpec } from "../../operator/api/validate.ts";
import type { IstiodProcess } from "../../operator/local/istiod-process.ts";
import type { MeshIstiod } from "../../operator/local/mesh-istiod.ts";
import { uniqueName } from "../integration/cluster-client.ts";
import { mesh } from "../fixtures/test-mesh.ts";
import { deleteWaypointClass, get, waypointGateway, waypointReady } from "./ambient-proxies.ts";
import { diff } from "./injection-diff.ts";
import { convergeMesh, startIstiod, type RealMesh } from "./real-istio.ts";
import { comparableTwin, startReferenceIstiod } from "./twin-objects.ts";
import { upstreamProfileFlags } from "./upstream-reference.ts";
import { createNamespace, deleteNamespace } from "./workloads.ts";

const AMBIENT = { dataPlane: { mode: "ambient" } };
const ns = uniqueName("wpparity");
const REFERENCE_NAMESPACE = "istio-waypoint-reference";
const REFERENCE_REVISION = "waypoint-reference";
// Names that occur nowhere else in the objects, so the comparison may replace them.
const OURS = "wp-ours";
const TWIN = "wp-twin";

type Json = Record<string, any>;

let real: RealMesh;
let istiod: MeshIstiod;
let reference: IstiodProcess | undefined;
let spec: MeshConfigSpec;

/** What istiod created for the waypoint Gateway `name`, once it is Available and Programmed. */
async function deployed(name: string): Promise<Record<string, Json | undefined>> {
  const { deployment } = await waypointReady(real.admin, ns, name);
  const [serviceAccount, service] = await Promise.all([
    get(real.admin, `/api/v1/namespaces/${ns}/serviceaccounts/${name}`),
    get(real.admin, `/api/v1/namespaces/${ns}/services/${name}`),
  ]);
  return { deployment, service, serviceAccount };
}

beforeAll(async () => {
  real = await convergeMesh(AMBIENT);
  const parsed = validateSpec(mesh(AMBIENT).spec);
  if (!parsed.ok) throw new Error("the tier's ambient MeshConfig is invalid");
  spec = parsed.spec;
  istiod = await startIstiod(real);
  await createNamespace(real.admin, ns);
  await createNamespace(real.admin, REFERENCE_NAMESPACE);
}, 600_000);

afterAll(async () => {
  await reference?.stop();
  await (istiod as MeshIstiod | undefined)?.stop();
  if ((real as RealMesh | undefined) === undefined) return;
  await deleteWaypointClass(real.admin);
  await deleteNamespace(real.admin, ns);
  await deleteNamespace(real.admin, REFERENCE_NAMESPACE);
  await real.stop();
}, 180_000);

describe("waypoints on real istiods: parity with upstream's template", () => {
  it("deploys what upstream's waypoint template deploys (a reference istiod, same Gateway)", async () => {
    // Upstream's config from the ambient profile (components.cni, so values.pilot.cni).
    expect(upstreamProfileFlags(spec)).toContain("profile=ambient");
    reference = await startReferenceIstiod(real, istiod, spec, {
      revision: REFERENCE_REVISION,
      namespace: REFERENCE_NAMESPACE,
      name: "istiod (upstream reference, waypoint)",
    });
    // Ambient is on in both (the operator's env, PILOT_ENABLE_AMBIENT), so both run the
    // istio-waypoint class.
    expect(istiod.env.PILOT_ENABLE_AMBIENT).toBe("true");
    await real.harness.applyAsUser(waypointGateway(ns, OURS));
    const twin = waypointGateway(ns, TWIN);
    const labels = { ...twin.metadata.labels, "istio.io/rev": REFERENCE_REVISION };
    await real.harness.applyAsUser({ ...twin, metadata: { ...twin.metadata, labels } });
    const ours = await deployed(OURS);
    const theirs = await deployed(TWIN);
    // Each istiod deployed only its own Gateway.
    expect(ours.deployment?.metadata.labels["istio.io/rev"]).toBeUndefined();
    expect(theirs.deployment?.metadata.labels["istio.io/rev"]).toBe(REFERENCE_REVISION);
    const names = { referenceRevision: REFERENCE_REVISION, revision: spec.revision || "default" };
    const differences = (["serviceAccount", "deployment", "service"] as const).flatMap((kind) =>
      diff(
        comparableTwin(ours[kind], OURS, names),
        comparableTwin(theirs[kind], TWIN, names),
        kind,
      ),
    );
    expect(differences).toEqual([]);
    expect(istiod.forbiddenCalls()).toEqual([]);
  });
});
