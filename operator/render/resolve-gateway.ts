/** A gateway entry with every default applied (the CRD keeps none inside list items). */
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import * as defaults from "./defaults.ts";

type GatewaySpec = NonNullable<MeshConfigSpec["gateways"]>[number];

export interface ResolvedGateway {
  readonly name: string;
  readonly namespace: string;
  readonly type: "ingress" | "egress";
  readonly replicas: number;
  readonly autoscaling: {
    enabled: boolean;
    minReplicas: number;
    maxReplicas: number;
    targetCPUUtilization: number;
  };
  readonly resources: unknown;
  readonly selector: Readonly<Record<string, string>>;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly service: {
    readonly type: string;
    readonly ports: readonly defaults.ResolvedPort[];
    readonly annotations: Readonly<Record<string, string>>;
  };
}

function resolveAutoscaling(
  given: NonNullable<GatewaySpec["autoscaling"]>,
): ResolvedGateway["autoscaling"] {
  const minReplicas = given.minReplicas ?? defaults.AUTOSCALING_DEFAULTS.minReplicas;
  return {
    enabled: given.enabled ?? defaults.AUTOSCALING_DEFAULTS.enabled,
    minReplicas,
    // An unset maximum never falls below the minimum the user chose.
    maxReplicas:
      given.maxReplicas ?? Math.max(defaults.AUTOSCALING_DEFAULTS.maxReplicas, minReplicas),
    targetCPUUtilization:
      given.targetCPUUtilization ?? defaults.AUTOSCALING_DEFAULTS.targetCPUUtilization,
  };
}

function resolvePorts(gateway: GatewaySpec): readonly defaults.ResolvedPort[] {
  const ports = gateway.service?.ports;
  if (!ports) return defaults.GATEWAY_PORTS[gateway.type];
  return ports.map((p) => ({
    name: p.name,
    port: p.port,
    targetPort: p.targetPort ?? p.port,
    protocol: p.protocol ?? "TCP",
    ...(p.nodePort === undefined ? {} : { nodePort: p.nodePort }),
  }));
}

export function resolveGateway(gateway: GatewaySpec, revision: string): ResolvedGateway {
  const selector = { app: gateway.name, istio: gateway.name.replace(/^istio-/, "") };
  return {
    name: gateway.name,
    namespace: gateway.namespace,
    type: gateway.type,
    replicas: gateway.replicas ?? 1,
    autoscaling: resolveAutoscaling(gateway.autoscaling ?? {}),
    resources: gateway.resources ?? defaults.GATEWAY_RESOURCES,
    selector,
    podLabels: {
      ...selector,
      "sidecar.istio.io/inject": "true",
      ...(revision ? { "istio.io/rev": revision } : {}),
    },
    service: {
      type: gateway.service?.type ?? defaults.GATEWAY_SERVICE_TYPE[gateway.type],
      ports: resolvePorts(gateway),
      annotations: gateway.service?.annotations ?? {},
    },
  };
}
