/**
 * istiod's validation webhook on the operator's mesh. The local API server calls no
 * admission webhooks, so the test does what the API server would: it POSTs an
 * AdmissionReview v1 for a CREATE to istiod's https /validate (the webhook port, its
 * serving certificate signed by the mesh CA, checked against the root in `cacerts`).
 * Valid Istio config is allowed; each invalid one is refused with istiod's own message,
 * naming what is wrong.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MeshIstiod } from "../../operator/local/mesh-istiod.ts";
import { post } from "./admission.ts";
import { caSecret, convergeMesh, startIstiod, type RealMesh } from "./real-istio.ts";

let real: RealMesh;
let istiod: MeshIstiod;
let root: string;

beforeAll(async () => {
  real = await convergeMesh();
  istiod = await startIstiod(real);
  root = (await caSecret(real.admin))["root-cert.pem"] ?? "";
}, 300_000);

afterAll(async () => {
  await istiod.stop();
  await real.stop();
}, 180_000);

interface Verdict {
  allowed: boolean;
  message?: string;
}

type IstioObject = { apiVersion: string; kind: string; metadata: { name: string }; spec: unknown };

/** What istiod answers the API server about creating `object` in namespace `apps`. */
async function review(object: IstioObject): Promise<Verdict> {
  const [group, version] = object.apiVersion.split("/") as [string, string];
  const resource = `${object.kind.toLowerCase()}s`;
  const uid = randomUUID();
  const { status, text } = await post(
    istiod.istiod.validateUrl,
    {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: {
        uid,
        kind: { group, version, kind: object.kind },
        resource: { group, version, resource },
        namespace: "apps",
        name: object.metadata.name,
        operation: "CREATE",
        userInfo: { username: "kubernetes-admin" },
        object: { ...object, metadata: { ...object.metadata, namespace: "apps" } },
      },
    },
    root,
  );
  expect(status, text).toBe(200);
  const answer = JSON.parse(text) as {
    apiVersion: string;
    response: { uid: string; allowed?: boolean; status?: { message?: string } };
  };
  expect(answer.apiVersion).toBe("admission.k8s.io/v1");
  // The API server matches the answer to its request by uid.
  expect(answer.response.uid).toBe(uid);
  return {
    allowed: answer.response.allowed === true,
    ...(answer.response.status?.message ? { message: answer.response.status.message } : {}),
  };
}

function virtualService(spec: Record<string, unknown>): IstioObject {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "reviews" },
    spec,
  };
}

const canaryRoute = (weights: [number, number], extra: Record<string, unknown> = {}) => ({
  route: [
    { destination: { host: "reviews", subset: "v1" }, weight: weights[0] },
    { destination: { host: "reviews", subset: "v2" }, weight: weights[1] },
  ],
  ...extra,
});

const INVALID: { what: string; object: IstioObject; message: string }[] = [
  {
    what: "a negative weight",
    object: virtualService({ hosts: ["reviews"], http: [canaryRoute([110, -10])] }),
    message: "weight -10 < 0",
  },
  {
    what: "weights that add up to nothing",
    object: virtualService({ hosts: ["reviews"], http: [canaryRoute([0, 0])] }),
    message: "total destination weight = 0",
  },
  {
    what: "a host that is no DNS name",
    object: virtualService({ hosts: ["bad_host!"], http: [canaryRoute([90, 10])] }),
    message: 'domain name "bad_host!" invalid (label "bad_host!" invalid)',
  },
  {
    what: "the wildcard host on the mesh gateway",
    object: virtualService({ hosts: ["*"], http: [canaryRoute([90, 10])] }),
    message: "wildcard host * is not allowed for virtual services bound to the mesh gateway",
  },
  {
    what: "a negative retry count",
    object: virtualService({
      hosts: ["reviews"],
      http: [canaryRoute([90, 10], { retries: { attempts: -1 } })],
    }),
    message: "attempts cannot be negative",
  },
  {
    what: "an abort with an HTTP status out of range",
    object: virtualService({
      hosts: ["reviews"],
      http: [
        canaryRoute([90, 10], { fault: { abort: { httpStatus: 700, percentage: { value: 5 } } } }),
      ],
    }),
    message: "HTTP status 700 is not in range 200-599",
  },
  {
    what: "a DestinationRule ejecting more than every host",
    object: {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: "reviews" },
      spec: { host: "reviews", trafficPolicy: { outlierDetection: { maxEjectionPercent: 150 } } },
    },
    message: "percentage 150 is not in range 0..100",
  },
];

describe("istiod's /validate on the operator's mesh", () => {
  it("allows a valid weighted canary VirtualService with retries, timeout and faults", async () => {
    const verdict = await review(
      virtualService({
        hosts: ["reviews"],
        http: [
          canaryRoute([90, 10], {
            timeout: "7s",
            retries: { attempts: 3, perTryTimeout: "2s", retryOn: "5xx,connect-failure" },
            fault: { delay: { fixedDelay: "1s", percentage: { value: 5 } } },
          }),
        ],
      }),
    );
    expect(verdict).toEqual({ allowed: true });
  });

  it("allows a valid DestinationRule with subsets, outlier detection and pool limits", async () => {
    const verdict = await review({
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: "reviews" },
      spec: {
        host: "reviews",
        trafficPolicy: {
          connectionPool: { tcp: { maxConnections: 50 }, http: { http1MaxPendingRequests: 10 } },
          outlierDetection: { consecutive5xxErrors: 5, interval: "10s", maxEjectionPercent: 40 },
        },
        subsets: [
          { name: "v1", labels: { version: "v1" } },
          { name: "v2", labels: { version: "v2" } },
        ],
      },
    });
    expect(verdict.allowed).toBe(true);
  });

  it.each(INVALID)("refuses $what with istiod's message", async ({ object, message }) => {
    const verdict = await review(object);
    expect(verdict.allowed).toBe(false);
    expect(verdict.message).toMatch(/^configuration is invalid: /);
    expect(verdict.message).toContain(message);
  });

  it("refuses a kind istiod does not know", async () => {
    const verdict = await review({
      apiVersion: "networking.istio.io/v1",
      kind: "NoSuchKind",
      metadata: { name: "x" },
      spec: {},
    });
    expect(verdict).toMatchObject({
      allowed: false,
      message: expect.stringMatching(/unrecognized type/),
    });
  });
});
