/**
 * Defaults the resolve step applies beyond the schema's own: values that depend on other
 * fields (a gateway's Service type follows its type) or that sit inside list items, where
 * the CRD keeps no defaults. Istio's own chart defaults are the reference.
 */
import { AUTOSCALING_DEFAULTS } from "../api/autoscaling.ts";

export { AUTOSCALING_DEFAULTS };

export const ISTIOD_RESOURCES = { requests: { cpu: "500m", memory: "2048Mi" } } as const;

export const GATEWAY_RESOURCES = {
  requests: { cpu: "100m", memory: "128Mi" },
  limits: { cpu: "2000m", memory: "1024Mi" },
} as const;

export const GATEWAY_SERVICE_TYPE = { ingress: "LoadBalancer", egress: "ClusterIP" } as const;

export interface ResolvedPort {
  readonly name: string;
  readonly port: number;
  readonly targetPort: number | string;
  readonly protocol: string;
  readonly nodePort?: number;
}

/** Istio's usual gateway ports; the pod may bind low ports (unprivileged_port_start=0). */
export const GATEWAY_PORTS: Record<"ingress" | "egress", readonly ResolvedPort[]> = {
  ingress: [
    { name: "status-port", port: 15021, targetPort: 15021, protocol: "TCP" },
    { name: "http2", port: 80, targetPort: 80, protocol: "TCP" },
    { name: "https", port: 443, targetPort: 443, protocol: "TCP" },
  ],
  egress: [
    { name: "http2", port: 80, targetPort: 80, protocol: "TCP" },
    { name: "https", port: 443, targetPort: 443, protocol: "TCP" },
  ],
};

export const TRUST_DOMAIN = "cluster.local";
/** The name of the tracing provider the operator adds to the mesh config. */
export const TRACING_PROVIDER = "meshkeeper-tracing";
