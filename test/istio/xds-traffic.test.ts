/**
 * Traffic policy reaches a client sidecar, on a real istiod's xDS. The operator converges
 * the tests' mesh; the test creates, in a namespace of its own, two versions of a
 * `reviews` service, a `ratings` service and a client pod (KWOK gives each an IP), then a
 * weighted canary VirtualService with retries and a timeout, a DestinationRule with
 * subsets, outlier detection and connection-pool limits (one subset overriding them), and
 * a VirtualService injecting faults. The client's xDS (it connects as istio-agent would,
 * with its pod's IP, namespace, labels and ServiceAccount) must carry each of them as the
 * concrete Envoy fields: weighted clusters and their weights, the retry policy, the route
 * timeout, the subsets' clusters with outlier detection and circuit breakers, and the fault
 * filter's per-route config.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MeshIstiod } from "../../operator/local/mesh-istiod.ts";
import { uniqueName } from "../integration/cluster-client.ts";
import {
  FAULT,
  cluster,
  clusterIfAny,
  connectionManagers,
  httpFilter,
  listener,
  routeConfig,
  virtualHost,
  type Envoy,
} from "./envoy-config.ts";
import {
  convergeMesh,
  eventuallyXds,
  startIstiod,
  xdsFor,
  type ProxyIdentity,
  type RealMesh,
  type XdsDump,
} from "./real-istio.ts";
import {
  createNamespace,
  deleteNamespace,
  exposeService,
  runPod,
  serviceHost,
} from "./workloads.ts";

const namespace = uniqueName("traffic");
const REVIEWS = serviceHost(namespace, "reviews");
const RATINGS = serviceHost(namespace, "ratings");
const HTTP = [{ name: "http", port: 80, targetPort: 9080 }];
const subsetCluster = (subset: string, host: string) => `outbound|80|${subset}|${host}`;

let real: RealMesh;
let istiod: MeshIstiod;
let client: ProxyIdentity;

async function istioConfig(object: Record<string, unknown>): Promise<void> {
  await real.harness.applyAsUser(object as never);
}

beforeAll(async () => {
  real = await convergeMesh();
  istiod = await startIstiod(real);
  await createNamespace(real.admin, namespace);
  for (const version of ["v1", "v2"])
    await runPod(real.admin, {
      namespace,
      name: `reviews-${version}`,
      labels: { app: "reviews", version },
      serviceAccount: "reviews",
      ports: [9080],
    });
  await runPod(real.admin, {
    namespace,
    name: "ratings-v1",
    labels: { app: "ratings", version: "v1" },
    ports: [9080],
  });
  await exposeService(real.admin, namespace, "reviews", { app: "reviews" }, HTTP);
  await exposeService(real.admin, namespace, "ratings", { app: "ratings" }, HTTP);
  client = await runPod(real.admin, {
    namespace,
    name: "client",
    labels: { app: "client", version: "v1" },
    serviceAccount: "client",
  });
  await istioConfig({
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "reviews", namespace },
    spec: {
      hosts: ["reviews"],
      http: [
        {
          route: [
            { destination: { host: "reviews", subset: "v1" }, weight: 90 },
            { destination: { host: "reviews", subset: "v2" }, weight: 10 },
          ],
          timeout: "7s",
          retries: {
            attempts: 3,
            perTryTimeout: "2s",
            retryOn: "connect-failure,refused-stream,503",
          },
        },
      ],
    },
  });
  await istioConfig({
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: "reviews", namespace },
    spec: {
      host: "reviews",
      trafficPolicy: {
        connectionPool: {
          tcp: { maxConnections: 50 },
          http: { http1MaxPendingRequests: 10, http2MaxRequests: 200, maxRetries: 4 },
        },
        outlierDetection: {
          consecutive5xxErrors: 5,
          interval: "10s",
          baseEjectionTime: "30s",
          maxEjectionPercent: 40,
        },
      },
      subsets: [
        { name: "v1", labels: { version: "v1" } },
        {
          name: "v2",
          labels: { version: "v2" },
          trafficPolicy: { connectionPool: { tcp: { maxConnections: 5 } } },
        },
      ],
    },
  });
  await istioConfig({
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name: "ratings", namespace },
    spec: {
      hosts: ["ratings"],
      http: [
        {
          fault: {
            delay: { fixedDelay: "3s", percentage: { value: 25 } },
            abort: { httpStatus: 503, percentage: { value: 10.5 } },
          },
          route: [{ destination: { host: "ratings" } }],
        },
      ],
    },
  });
}, 300_000);

afterAll(async () => {
  await deleteNamespace(real.admin, namespace);
  await istiod.stop();
  await real.stop();
}, 180_000);

/** The client's routes for port 80, once istiod has pushed `ready`'s condition. */
function routes(ready: (dump: XdsDump) => boolean) {
  return eventuallyXds(
    "the client's route configuration for port 80",
    () => xdsFor(istiod, client, "lds,cds"),
    (dump) => {
      try {
        return ready(dump) ? dump : undefined;
      } catch {
        return undefined;
      }
    },
    60_000,
  );
}

function firstRoute(dump: XdsDump, host: string): Envoy {
  const [route] = virtualHost(routeConfig(dump, "80"), host).routes as Envoy[];
  if (!route) throw new Error(`no route for ${host} in route configuration 80`);
  return route;
}

describe("traffic policy in a client sidecar's xDS", () => {
  it("splits the canary by weight across the DestinationRule's subsets, with retries and timeout", async () => {
    const dump = await routes((d) => firstRoute(d, REVIEWS).route?.weighted_clusters !== undefined);
    const action = firstRoute(dump, REVIEWS).route as Envoy;
    expect(
      (action.weighted_clusters.clusters as Envoy[]).map((c) => ({
        name: c.name,
        weight: c.weight,
      })),
    ).toEqual([
      { name: subsetCluster("v1", REVIEWS), weight: 90 },
      { name: subsetCluster("v2", REVIEWS), weight: 10 },
    ]);
    expect(action.timeout).toBe("7s");
    expect(action.retry_policy).toMatchObject({
      num_retries: 3,
      per_try_timeout: "2s",
      // Istio moves status codes to retriable_status_codes and says so in retry_on.
      retry_on: "connect-failure,refused-stream,retriable-status-codes",
      retriable_status_codes: [503],
    });
  });

  it("builds a cluster per subset with outlier detection and the connection-pool limits", async () => {
    const dump = await routes((d) => clusterIfAny(d, subsetCluster("v2", REVIEWS)) !== undefined);

    const v1 = cluster(dump, subsetCluster("v1", REVIEWS));
    const v2 = cluster(dump, subsetCluster("v2", REVIEWS));
    const outlier = {
      consecutive_5xx: 5,
      enforcing_consecutive_5xx: 100,
      interval: "10s",
      base_ejection_time: "30s",
      max_ejection_percent: 40,
    };
    expect(v1.outlier_detection).toMatchObject(outlier);
    const [v1Limits] = v1.circuit_breakers.thresholds as Envoy[];
    const [v2Limits] = v2.circuit_breakers.thresholds as Envoy[];
    expect(v1Limits).toMatchObject({
      max_connections: 50,
      max_pending_requests: 10,
      max_requests: 200,
      max_retries: 4,
    });
    // The subset's own policy replaces the connection pool it sets, nothing else.
    expect(v2Limits).toMatchObject({ max_connections: 5 });
    expect(v2Limits?.max_pending_requests).not.toBe(10);
    expect(v2.outlier_detection).toMatchObject(outlier);
    // The service's plain cluster has no subset policy of its own: the DestinationRule's top level applies.
    expect(cluster(dump, `outbound|80||${REVIEWS}`).outlier_detection).toMatchObject(outlier);
  });

  it("injects the ratings faults through the fault filter's per-route config", async () => {
    const dump = await routes(
      (d) => firstRoute(d, RATINGS).typed_per_filter_config?.[FAULT] !== undefined,
    );
    const fault = firstRoute(dump, RATINGS).typed_per_filter_config[FAULT] as Envoy;
    expect(fault).toMatchObject({
      delay: { fixed_delay: "3s", percentage: { numerator: 250_000, denominator: "MILLION" } },
      abort: { http_status: 503, percentage: { numerator: 105_000, denominator: "MILLION" } },
    });
    // The outbound HTTP listener for port 80 runs the fault filter the route configures.
    const manager = connectionManagers(listener(dump, "0.0.0.0_80")).find(
      (m) => m.rds?.route_config_name === "80",
    );
    if (!manager) throw new Error("no HTTP connection manager using route configuration 80");
    expect(httpFilter(manager, FAULT).typed_config?.["@type"]).toBe(
      "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault",
    );
    // Routes without faults configure none.
    expect(firstRoute(dump, REVIEWS).typed_per_filter_config?.[FAULT]).toBeUndefined();
  });
});
