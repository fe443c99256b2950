/**
 * Every kind the operator renders, so every kind it watches (label-selected: foreign
 * objects never reach the process). A kind the renderer starts producing must be added
 * here, or drift on it would go unseen; a unit test renders the samples and checks.
 */
export interface Kind {
  readonly apiVersion: string;
  readonly kind: string;
}

export const OWNED_KINDS: readonly Kind[] = [
  { apiVersion: "v1", kind: "Namespace" },
  { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition" },
  { apiVersion: "v1", kind: "ServiceAccount" },
  { apiVersion: "v1", kind: "ConfigMap" },
  { apiVersion: "v1", kind: "Service" },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole" },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding" },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role" },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding" },
  { apiVersion: "apps/v1", kind: "Deployment" },
  { apiVersion: "apps/v1", kind: "DaemonSet" },
  { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler" },
  { apiVersion: "policy/v1", kind: "PodDisruptionBudget" },
  { apiVersion: "admissionregistration.k8s.io/v1", kind: "MutatingWebhookConfiguration" },
  { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration" },
  { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication" },
  { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy" },
  { apiVersion: "telemetry.istio.io/v1", kind: "Telemetry" },
];
