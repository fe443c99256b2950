/**
 * spec.telemetry.tracing reaches the proxies, on a real istiod's xDS. The operator adds the
 * tracing provider to the mesh config and a Telemetry in the root namespace that selects it
 * with the spec's sampling; istiod must then give a client sidecar's outbound HTTP
 * connection manager that provider's tracer, pointed at the collector's outbound cluster,
 * with the spec's sampling. Both protocols: OpenTelemetry (gRPC) first, then the spec
 * switches to Zipkin and the operator converges again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MeshIstiod } from "../../operator/local/mesh-istiod.ts";
import { uniqueName } from "../integration/cluster-client.ts";
import { mesh } from "../fixtures/test-mesh.ts";
import { connectionManagers, listener, type Envoy } from "./envoy-config.ts";
import {
  convergeMesh,
  eventuallyXds,
  startIstiod,
  xdsFor,
  type ProxyIdentity,
  type RealMesh,
} from "./real-istio.ts";
import {
  createNamespace,
  deleteNamespace,
  exposeService,
  runPod,
  serviceHost,
} from "./workloads.ts";

const observability = uniqueName("observability");
const apps = uniqueName("traced");
const OTEL = serviceHost(observability, "otel-collector");
const ZIPKIN = serviceHost(observability, "zipkin");

let real: RealMesh;
let istiod: MeshIstiod;
let client: ProxyIdentity;

function telemetry(tracing: Record<string, unknown>) {
  return { telemetry: { accessLogging: true, tracing } };
}

beforeAll(async () => {
  real = await convergeMesh(
    telemetry({
      provider: "otel",
      address: `otel-collector.${observability}:4317`,
      samplingPercent: 12.5,
    }),
  );
  // The collectors' Services: istiod resolves a provider's service to its outbound
  // cluster, and leaves a tracer out while it cannot find the service.
  await createNamespace(real.admin, observability);
  await exposeService(real.admin, observability, "otel-collector", { app: "otel-collector" }, [
    { name: "grpc-otlp", port: 4317, targetPort: 4317 },
  ]);
  await exposeService(real.admin, observability, "zipkin", { app: "zipkin" }, [
    { name: "http-zipkin", port: 9411, targetPort: 9411 },
  ]);
  istiod = await startIstiod(real);
  await createNamespace(real.admin, apps);
  await runPod(real.admin, {
    namespace: apps,
    name: "web",
    labels: { app: "web" },
    ports: [8080],
  });
  await exposeService(real.admin, apps, "web", { app: "web" }, [
    { name: "http", port: 80, targetPort: 8080 },
  ]);
  client = await runPod(real.admin, { namespace: apps, name: "client", labels: { app: "client" } });
}, 300_000);

afterAll(async () => {
  await deleteNamespace(real.admin, apps);
  await deleteNamespace(real.admin, observability);
  await istiod.stop();
  await real.stop();
}, 180_000);

/** The tracing config of the client's outbound HTTP listener on port 80, once it has `tracer`. */
function outboundTracing(tracer: string): Promise<Envoy> {
  return eventuallyXds(
    `${tracer} on the client's outbound HTTP connection manager`,
    () => xdsFor(istiod, client, "lds"),
    (dump) => {
      const tracing = connectionManagers(listener(dump, "0.0.0.0_80"))
        .map((manager) => manager.tracing as Envoy | undefined)
        .find((t) => t?.provider?.name === tracer);
      return tracing;
    },
    60_000,
  );
}

describe("spec.telemetry.tracing in a real istiod's xDS", () => {
  it("gives the outbound HTTP connection manager the OpenTelemetry tracer at the collector", async () => {
    const tracing = await outboundTracing("envoy.tracers.opentelemetry");
    expect(tracing.provider.typed_config).toMatchObject({
      "@type": "type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig",
      grpc_service: { envoy_grpc: { cluster_name: `outbound|4317||${OTEL}`, authority: OTEL } },
    });
    expect(tracing.random_sampling).toEqual({ value: 12.5 });
  });

  it("follows the spec to Zipkin once the operator converges the change", async () => {
    await real.harness.applyAsUser(
      mesh(
        telemetry({
          provider: "zipkin",
          address: `zipkin.${observability}:9411`,
          samplingPercent: 40,
        }),
      ),
    );
    await real.harness.waitForCondition("Ready", "True", undefined, 120_000);
    const tracing = await outboundTracing("envoy.tracers.zipkin");
    expect(tracing.provider.typed_config).toMatchObject({
      "@type": "type.googleapis.com/envoy.config.trace.v3.ZipkinConfig",
      collector_service: {
        http_uri: { uri: `http://${ZIPKIN}/api/v2/spans`, cluster: `outbound|9411||${ZIPKIN}` },
      },
    });
    expect(tracing.random_sampling).toEqual({ value: 40 });
  });
});
