/**
 * A real istiod on what the operator applied: it becomes ready under its own
 * ServiceAccount's RBAC with no call refused, uses the plugged-in `cacerts` (never a CA of
 * its own), publishes our root as `istio-ca-root-cert` in every namespace, signs workload
 * certificates that chain to our root and carry the token's SPIFFE identity, refuses a
 * token of the wrong audience. Rotation has a file of its own (ca-rotation.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MeshIstiod } from "../../operator/local/mesh-istiod.ts";
import { uniqueName } from "../integration/cluster-client.ts";
import { until } from "../integration/operator-harness.ts";
import {
  applyAsAdmin,
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

beforeAll(async () => {
  real = await convergeMesh();
  istiod = await startIstiod(real);
}, 180_000);

afterAll(async () => {
  // Unset when beforeAll failed part way.
  await (istiod as MeshIstiod | undefined)?.stop();
  await (real as RealMesh | undefined)?.stop();
}, 180_000);

async function signedFor(namespace: string, account: string) {
  const token = await workloadToken(real.admin, namespace, account);
  const root = (await caSecret(real.admin))["root-cert.pem"] ?? "";
  return requestCertificate(
    istiod,
    root,
    token,
    `spiffe://cluster.local/ns/${namespace}/sa/${account}`,
  );
}

describe("a real istiod on the operator's mesh", () => {
  it("starts under its own ServiceAccount with the rendered args and env, and becomes ready", () => {
    expect(istiod.istiod.running).toBe(true);
    expect(istiod.pod.serviceAccount).toBe("istiod");
    expect(istiod.env.POD_NAMESPACE).toBe("istio-system");
    expect(istiod.container.args?.[0]).toBe("discovery");
    expect(istiod.skippedVolumes).not.toContain("cacerts");
  });

  it("uses the plugged-in cacerts and publishes our root in a new namespace", async () => {
    const ca = await caSecret(real.admin);
    expect(istiod.istiod.log()).toMatch(/plugged-in|cacerts/i);
    const namespace = uniqueName("root-cert");
    await applyAsAdmin(real.admin, {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: namespace },
    });
    const published = await until(
      "istio-ca-root-cert in the new namespace",
      async () =>
        real.admin
          .send<{ data?: Record<string, string> }>({
            method: "GET",
            path: `/api/v1/namespaces/${namespace}/configmaps/istio-ca-root-cert`,
          })
          .then((map) => map.data?.["root-cert.pem"])
          .catch(() => undefined),
      60_000,
    );
    expect(certificates(published).map((c) => c.fingerprint256)).toEqual(
      certificates(ca["root-cert.pem"] ?? "").map((c) => c.fingerprint256),
    );
  });

  it("signs a workload CSR that chains to our root and carries the token's identity", async () => {
    const namespace = uniqueName("app");
    const answer = await signedFor(namespace, "web");
    expect(answer).toMatchObject({ signed: true });
    const chain = certificates((answer.certChain ?? []).join("\n"));
    const [leaf] = chain;
    const ca = await caSecret(real.admin);
    const intermediate = firstCertificate(ca["ca-cert.pem"]);
    const root = firstCertificate(ca["root-cert.pem"]);
    expect(leaf?.subjectAltName).toBe(`URI:spiffe://cluster.local/ns/${namespace}/sa/web`);
    expect(leaf?.checkIssued(intermediate)).toBe(true);
    expect(leaf?.verify(intermediate.publicKey)).toBe(true);
    expect(intermediate.verify(root.publicKey)).toBe(true);
    expect(chain.at(-1)?.fingerprint256).toBe(root.fingerprint256);
  });

  it("refuses a token of the wrong audience", async () => {
    const namespace = uniqueName("app");
    const token = await workloadToken(real.admin, namespace, "web", "not-istio");
    const root = (await caSecret(real.admin))["root-cert.pem"] ?? "";
    const answer = await requestCertificate(
      istiod,
      root,
      token,
      `spiffe://cluster.local/ns/${namespace}/sa/web`,
    );
    expect(answer.signed).toBe(false);
    expect(answer.code).toBe("Unauthenticated");
  });

  it("made no call the API server refused (our RBAC is all it needs)", () => {
    expect(istiod.forbiddenCalls()).toEqual([]);
  });
});
