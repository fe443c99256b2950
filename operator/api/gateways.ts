/** spec.gateways[]: ingress and egress gateways, first-class parts of the mesh. */
import { z } from "zod";
import { autoscalingWithoutDefaults } from "./autoscaling.ts";
import { celValidations, duplicateIndices, refineWith, type Rule } from "./cel-rules.ts";
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
          // Kubernetes' IsValidPortName (an IANA service name): at least one letter, no "--".
          .regex(
            /^([0-9]+-)*[0-9]*[a-z][a-z0-9]*(-[a-z0-9]+)*$/,
            "must be a port name: letters, digits and single '-', with at least one letter",
          ),
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

interface Port {
  readonly port: number;
  readonly nodePort?: number | undefined;
  readonly protocol?: string | undefined;
}
const CEL_PROTOCOL = (p: string) => `(has(${p}.protocol) ? ${p}.protocol : 'TCP')`;
const protocolOf = (p: Port) => p.protocol ?? "TCP";

/** The API server's Service port rules (ValidateService), checked before anything is applied. */
const PORT_RULES: readonly Rule<readonly Port[]>[] = [
  {
    rule: `self.all(p, self.filter(q, q.port == p.port && ${CEL_PROTOCOL("q")} == ${CEL_PROTOCOL("p")}).size() == 1)`,
    message: "port numbers must be unique per protocol",
    violations: (ports) =>
      duplicateIndices(ports, (p) => `${p.port}/${protocolOf(p)}`).map((i) => ({
        path: [i, "port"],
        message: `port ${String(ports[i]?.port)}/${protocolOf(ports[i] ?? { port: 0 })} is used by another port of this Service`,
      })),
  },
  {
    // The API server allocates one node port per port number: 53/TCP and 53/UDP may share
    // one, 80 and 81 may not (whatever their protocols).
    rule: "self.all(p, !has(p.nodePort) || self.all(q, !has(q.nodePort) || q.nodePort != p.nodePort || q.port == p.port))",
    message:
      "a node port may be shared only by ports with the same number (e.g. 53/TCP and 53/UDP)",
    violations: (ports) =>
      ports.flatMap((p, i) =>
        p.nodePort !== undefined &&
        ports.some((q, j) => j < i && q.nodePort === p.nodePort && q.port !== p.port)
          ? [
              {
                path: [i, "nodePort"],
                message: `node port ${p.nodePort} is already taken by another port number of this Service`,
              },
            ]
          : [],
      ),
  },
];

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
      .min(1, "a Service needs at least one port; leave ports unset for Istio's usual ones")
      .max(32)
      .refine(
        (ports) => new Set(ports.map((p) => p.name)).size === ports.length,
        "port names must be unique",
      )
      .superRefine(refineWith(PORT_RULES))
      .meta({
        description:
          "Ports the gateway Service exposes; unset gives Istio's usual ports for the gateway type. Port numbers, and node ports, are unique per protocol.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
        "x-kubernetes-validations": celValidations(PORT_RULES),
      })
      .optional(),
    annotations: annotationMap(
      "Annotations for the gateway Service, e.g. for a cloud load balancer.",
    ).optional(),
  })
  .describe("The Service in front of the gateway pods.");

interface Gateway {
  readonly type: "ingress" | "egress";
  readonly service?:
    | { readonly type?: string | undefined; readonly ports?: readonly Port[] | undefined }
    | undefined;
}

/** Node ports need a NodePort or LoadBalancer Service; egress gateways default to ClusterIP. */
const GATEWAY_RULES: readonly Rule<Gateway>[] = [
  {
    rule: "!has(self.service) || !has(self.service.ports) || self.service.ports.all(p, !has(p.nodePort)) || (has(self.service.type) ? self.service.type != 'ClusterIP' : self.type == 'ingress')",
    message:
      "nodePort needs service.type NodePort or LoadBalancer (egress gateways default to ClusterIP)",
    fieldPath: ".service.ports",
    reason: "FieldValueForbidden",
    violations: (g) => {
      const type = g.service?.type ?? (g.type === "ingress" ? "LoadBalancer" : "ClusterIP");
      if (type !== "ClusterIP") return [];
      return (g.service?.ports ?? []).flatMap((p, i) =>
        p.nodePort === undefined ? [] : [{ path: ["service", "ports", i, "nodePort"] }],
      );
    },
  },
];

// DNS-1035: the gateway's name is its Service's name, which must start with a letter.
const gatewayName = z
  .string()
  .min(1)
  .max(63)
  .regex(
    /^[a-z]([-a-z0-9]*[a-z0-9])?$/,
    "must be a DNS-1035 label (it names the gateway's Service): lower-case letters, digits and '-', starting with a letter and ending alphanumeric",
  )
  .describe(
    "Gateway name: the Deployment, Service and istio label value. Unique per namespace; starts with a letter (it names a Service).",
  );

export const gatewaySpec = z
  .object({
    name: gatewayName,
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
  .superRefine(refineWith(GATEWAY_RULES))
  .meta({
    description: "An Istio gateway: a standalone Envoy Deployment with its Service.",
    "x-kubernetes-validations": celValidations(GATEWAY_RULES),
  });

/**
 * The most gateways one mesh may have (spec.gateways maxItems). The API server costs every
 * CEL rule inside a gateway times this bound (and the port rules times 32 ports besides);
 * 128 keeps the CRD well inside its budget (the integration test installs it and admits
 * 128 gateways). Node ports across gateways are checked at render time for that reason.
 */
export const MAX_GATEWAYS = 128;

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
