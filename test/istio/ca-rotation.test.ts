/**
 * CA rotation with a real istiod, on real time: the mesh's intermediate lives two minutes
 * and is due one minute before it ends, so the operator itself renews it (same root) while
 * istiod runs; the kubelet-style volume sync hands istiod the new `cacerts`, istiod
 * reloads it, and new workload certificates chain through the new intermediate to the
 * same root. (Renewing with a shifted clock cannot show this: istiod rightly refuses an
 * intermediate that is not valid yet.)
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { MeshIstiod } from "../../operator/local/mesh-istiod.ts";
import { uniqueName } from "../integration/cluster-client.ts";
import { until } from "../integration/operator-harness.ts";
import {
  caSecret,
  certificates,
  firstCertificate,
  convergeMesh,
  requestCertificate,
  startIstiod,
  workloadToken,
  type RealMesh,
} from "./real-istio.ts";

let real: RealMesh;
let istiod: MeshIstiod;

const SHORT_LIVED_CA = {
  certificateAuthority: {
    type: "SelfSigned",
    selfSigned: { intermediateValidity: "2m", renewBefore: "1m" },
  },
};

beforeAll(async () => {
  // A resync every few seconds stands in for the hours between reconciles of a real mesh.
  real = await convergeMesh(SHORT_LIVED_CA, { resyncMs: 3000 });
  istiod = await startIstiod(real);
}, 180_000);

afterAll(async () => {
  // Unset when beforeAll failed part way.
  await (istiod as MeshIstiod | undefined)?.stop();
  await (real as RealMesh | undefined)?.stop();
}, 180_000);

async function leafFor(root: string): Promise<ReturnType<typeof certificates>[number] | undefined> {
  const namespace = uniqueName("rotation");
  const token = await workloadToken(real.admin, namespace, "web");
  const answer = await requestCertificate(
    istiod,
    root,
    token,
    `spiffe://cluster.local/ns/${namespace}/sa/web`,
    ["--ttl=30s"],
  );
  expect(answer).toMatchObject({ signed: true });
  return certificates((answer.certChain ?? []).join("\n"))[0];
}

it("signs under the intermediate the operator renewed, with the same root", async () => {
  const before = await caSecret(real.admin);
  const oldIntermediate = firstCertificate(before["ca-cert.pem"]);
  const firstLeaf = await leafFor(before["root-cert.pem"] ?? "");
  expect(firstLeaf?.checkIssued(oldIntermediate)).toBe(true);

  const after = await until(
    "the operator to renew the intermediate",
    async () => {
      const now = await caSecret(real.admin);
      return now["ca-cert.pem"] !== before["ca-cert.pem"] ? now : undefined;
    },
    120_000,
  );
  expect(after["root-cert.pem"]).toBe(before["root-cert.pem"]);
  const newIntermediate = firstCertificate(after["ca-cert.pem"]);
  const root = firstCertificate(after["root-cert.pem"]);
  expect(newIntermediate.verify(root.publicKey)).toBe(true);

  // The kubelet's volume sync; istiod watches the folder and reloads the bundle.
  await istiod.syncVolumes();
  const leaf = await until(
    "a workload certificate issued by the renewed intermediate",
    async () => {
      const candidate = await leafFor(after["root-cert.pem"] ?? "");
      return candidate?.checkIssued(newIntermediate) ? candidate : undefined;
    },
    60_000,
  );
  expect(leaf.verify(newIntermediate.publicKey)).toBe(true);
  expect(istiod.istiod.log()).toMatch(/detected the newly added intermediate CA/);
  expect(istiod.forbiddenCalls()).toEqual([]);
}, 240_000);
