/**
 * The Kubernetes Gateway API: how Istio users declare ingress (a `Gateway` of class `istio`
 * plus routes), and how ambient declares waypoints. istiod implements it and, with its
 * deployment controller, deploys each such Gateway itself. What istiod needs first are the
 * Gateway API CRDs at the version its minor was built against; the operator installs them
 * (Managed) or leaves them to the cluster (External) and checks the version it finds.
 */
import { z } from "zod";

export const GATEWAY_API_CRDS = ["Managed", "External"] as const;
export type GatewayApiCrds = (typeof GATEWAY_API_CRDS)[number];

export const gatewayApiSpec = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "istiod implements the Gateway API and deploys a Deployment and Service for every Gateway of class istio (its deployment controller, with the RBAC it needs and the kube-gateway injection template). false: istiod ignores the Gateway API and nothing of it is installed.",
      ),
    crds: z
      .enum(GATEWAY_API_CRDS)
      .default("Managed")
      .describe(
        "Managed: the operator installs the Gateway API CRDs of the standard channel at the version the Istio minor requires, and refuses (Stalled) to replace newer ones it finds. External: the cluster provides them (a platform, another tool); the operator installs none and refuses (Stalled) while they are missing or older than the Istio minor requires (read from their gateway.networking.k8s.io/bundle-version annotation).",
      ),
  })
  .describe("The Kubernetes Gateway API (gateway.networking.k8s.io) served by istiod.");

export type GatewayApiSpec = z.output<typeof gatewayApiSpec>;
