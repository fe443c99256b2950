/** spec.gateways[]: ingress and egress gateways, first-class parts of the mesh. */
import { z } from "zod";
import { autoscalingWithoutDefaults } from "./autoscaling.ts";
import {
  dnsLabel,
  port,
  replicas,
  resourceRequirements,
  annotationMap,
} from "./kubernetes-types.ts";

const servicePort = z
  .object({
    name: dnsLabel(
      "Port name, unique within the gateway; Istio reads the protocol from its prefix (http2-, https-, tcp-, tls-).",
    ),
    port: port("Port the Service exposes."),
    targetPort: z
      .union([
        z.int32().min(1).max(65535),
        z
          .string()
          .min(1)
          .max(15)
          .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a port name"),
      ])
      .optional()
      .describe("Port (number or name) on the gateway pod; defaults to the Service port."),
    nodePort: z
      .int32()
      .min(1)
      .max(65535)
      .optional()
      .describe("Node port for NodePort and LoadBalancer Services."),
    protocol: z
      .enum(["TCP", "UDP", "SCTP"])
      .optional()
      .describe("Transport protocol (default TCP)."),
  })
  .describe("One port of the gateway Service.");

const gatewayService = z
  .object({
    type: z
      .enum(["ClusterIP", "NodePort", "LoadBalancer"])
      .optional()
      .describe(
        "Service type; ingress gateways default to LoadBalancer, egress gateways to ClusterIP.",
      ),
    ports: z
      .array(servicePort)
      .max(32)
      .refine(
        (ports) => new Set(ports.map((p) => p.name)).size === ports.length,
        "port names must be unique",
      )
      .meta({
        description:
          "Ports the gateway Service exposes; unset gives Istio's usual ports for the gateway type.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
      })
      .optional(),
    annotations: annotationMap(
      "Annotations for the gateway Service, e.g. for a cloud load balancer.",
    ).optional(),
  })
  .describe("The Service in front of the gateway pods.");

export const gatewaySpec = z
  .object({
    name: dnsLabel(
      "Gateway name: the Deployment, Service and istio label value. Unique per namespace.",
    ),
    namespace: dnsLabel("Namespace the gateway runs in; created by the operator if missing."),
    type: z
      .enum(["ingress", "egress"])
      .describe("ingress (traffic into the mesh) or egress (traffic leaving it)."),
    replicas: replicas("Replicas while autoscaling is disabled (default 1).").optional(),
    autoscaling: autoscalingWithoutDefaults.optional(),
    resources: resourceRequirements(
      "CPU and memory requests and limits of the gateway proxy.",
    ).optional(),
    service: gatewayService.optional(),
  })
  .describe("An Istio gateway: a standalone Envoy Deployment with its Service.");

export const MAX_GATEWAYS = 64;

export const gatewaysSpec = z
  .array(gatewaySpec)
  .max(MAX_GATEWAYS)
  .refine(
    (gateways) => new Set(gateways.map((g) => `${g.namespace}/${g.name}`)).size === gateways.length,
    "gateway names must be unique per namespace",
  )
  .meta({
    description: "Ingress and egress gateways. Each name is unique within its namespace.",
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["namespace", "name"],
  });
