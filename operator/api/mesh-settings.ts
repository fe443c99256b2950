/** The smaller sections of the spec: sidecar injection, security posture and telemetry. */
import { z } from "zod";
import { resourceRequirements } from "./kubernetes-types.ts";

export const PROXY_LOG_LEVELS = [
  "trace",
  "debug",
  "info",
  "warning",
  "error",
  "critical",
  "off",
] as const;

export const sidecarInjectorSpec = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Inject sidecars into pods of namespaces labelled istio-injection=enabled or istio.io/rev=<revision>.",
      ),
    nativeSidecars: z
      .enum(["auto", "enabled", "disabled"])
      .default("auto")
      .describe(
        "Run the proxy as a Kubernetes native sidecar (an init container with restartPolicy Always): auto (Istio's default) when every node's kubelet is 1.33 or newer, enabled always, disabled never. A pod's sidecar.istio.io/nativeSidecar annotation still wins.",
      ),
    proxy: z
      .object({
        resources: resourceRequirements(
          "CPU and memory requests and limits of each sidecar.",
        ).optional(),
        logLevel: z
          .enum(PROXY_LOG_LEVELS)
          .default("warning")
          .describe("Envoy log level of the sidecars."),
        holdApplicationUntilProxyStarts: z
          .boolean()
          .default(true)
          .describe("Start the application container only once the sidecar is ready."),
      })
      .prefault({})
      .describe("Settings of the injected sidecar proxies."),
  })
  .describe("The sidecar injector (a mutating webhook served by istiod).");

export const securitySpec = z
  .object({
    mtls: z
      .enum(["STRICT", "PERMISSIVE", "DISABLE"])
      .default("STRICT")
      .describe("Mesh-wide mutual TLS mode (a PeerAuthentication in the control-plane namespace)."),
    authorization: z
      .enum(["AllowAll", "DenyAll"])
      .default("AllowAll")
      .describe(
        "AllowAll, or DenyAll: deny by default, with generated ALLOW rules that keep gateways and probes working.",
      ),
  })
  .describe("The mesh's default security posture.");

export const telemetrySpec = z
  .object({
    accessLogging: z
      .boolean()
      .default(false)
      .describe("Write Envoy access logs of every proxy to its stdout."),
    tracing: z
      .object({
        provider: z
          .enum(["otel", "zipkin"])
          .default("otel")
          .describe("Tracing protocol: otel (OpenTelemetry gRPC) or zipkin."),
        address: z
          .string()
          .max(253)
          .regex(
            /^[a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$/,
            "must be host:port with a port from 1 to 65535",
          )
          .describe(
            "host:port of the trace collector, e.g. otel-collector.observability:4317 (service.namespace is completed to service.namespace.svc.cluster.local).",
          ),
        samplingPercent: z
          .number()
          .min(0)
          .max(100)
          .default(1)
          .describe("Percentage of requests traced, 0 to 100."),
      })
      .optional()
      .describe("Distributed tracing; unset disables it."),
  })
  .describe("Observability of the mesh.");
