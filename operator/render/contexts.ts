/**
 * The values each component's templates see: the EffectiveConfig plus the few things
 * derived for display (label sets, argument lists, YAML text). Every key is always present
 * (null when unused) because the engine is strict about missing keys.
 */
import type { EffectiveConfig } from "./effective-config.ts";
import { injectionTemplates } from "./injection-templates.ts";
import { injectorValues } from "./injector-values.ts";
import type { ResolvedGateway } from "./resolve-gateway.ts";
import { yamlText } from "./yaml-text.ts";

type Expression = { key: string; operator: string; values?: string[] };

function injectionWebhooks(mesh: EffectiveConfig) {
  const rev = mesh.revisionLabel;
  const notDisabled: Expression = {
    key: "sidecar.istio.io/inject",
    operator: "NotIn",
    values: ["false"],
  };
  const noInjectionLabel: Expression = { key: "istio-injection", operator: "DoesNotExist" };
  const noRevLabel: Expression = { key: "istio.io/rev", operator: "DoesNotExist" };
  const webhooks = [
    {
      name: "rev.namespace.sidecar-injector.istio.io",
      namespaceSelector: [{ key: "istio.io/rev", operator: "In", values: [rev] }, noInjectionLabel],
      objectSelector: [notDisabled],
    },
    {
      name: "rev.object.sidecar-injector.istio.io",
      namespaceSelector: [noRevLabel, noInjectionLabel],
      objectSelector: [notDisabled, { key: "istio.io/rev", operator: "In", values: [rev] }],
    },
  ];
  // Without sidecar injection only pods that ask for it (gateways) are injected.
  const optIn = mesh.sidecarsByNamespace
    ? webhooks
    : webhooks.filter((w) => w.name.includes(".object."));
  if (mesh.revision) return optIn;
  // Only the default revision answers to istio-injection=enabled and unrevisioned pods.
  const byNamespace = {
    name: "namespace.sidecar-injector.istio.io",
    namespaceSelector: [{ key: "istio-injection", operator: "In", values: ["enabled"] }],
    objectSelector: [notDisabled],
  };
  return [
    ...optIn,
    ...(mesh.sidecarsByNamespace ? [byNamespace] : []),
    {
      name: "object.sidecar-injector.istio.io",
      namespaceSelector: [noInjectionLabel, noRevLabel],
      objectSelector: [
        { key: "sidecar.istio.io/inject", operator: "In", values: ["true"] },
        noRevLabel,
      ],
    },
  ];
}

/** istiod's ENABLE_NATIVE_SIDECARS for each spec.sidecarInjector.nativeSidecars. */
const NATIVE_SIDECARS_ENV = { auto: "auto", enabled: "true", disabled: "false" } as const;

function istiodLabels(mesh: EffectiveConfig) {
  return { app: "istiod", istio: "istiod", "istio.io/rev": mesh.revisionLabel };
}

export function istiodContext(mesh: EffectiveConfig) {
  const cp = mesh.spec.controlPlane;
  const replicasFloor = cp.autoscaling.enabled ? cp.autoscaling.minReplicas : cp.replicas;
  return {
    mesh,
    istiodLabels: istiodLabels(mesh),
    meshYaml: yamlText(mesh.meshConfig),
    istiodArgs: [
      "discovery",
      "--monitoringAddr=:15014",
      `--log_output_level=default:${cp.logLevel}`,
      "--domain",
      "cluster.local",
      "--keepaliveMaxServerConnectionAge",
      "30m",
    ],
    trustedNodeAccounts: `${mesh.namespace}/ztunnel`,
    nodeSelector: cp.nodeSelector ?? {},
    // Istio's CNI taints nodes until its agent runs; istiod must not wait for that.
    tolerations: [{ key: "cni.istio.io/not-ready", operator: "Exists" }, ...(cp.tolerations ?? [])],
    affinity: cp.affinity ?? null,
    istiodDisruptionBudget: replicasFloor > 1,
    caSecretName: mesh.spec.certificateAuthority.secret?.name ?? "cacerts",
    nativeSidecarsEnv: NATIVE_SIDECARS_ENV[mesh.spec.sidecarInjector.nativeSidecars],
  };
}

export function baseContext(mesh: EffectiveConfig) {
  return { mesh, readerLabels: { app: "istio-reader", "istio.io/rev": mesh.revisionLabel } };
}

export function injectorContext(mesh: EffectiveConfig) {
  const config = {
    // enabled: inject where the namespace or pod labels ask; disabled: only where a pod insists.
    policy: mesh.sidecarsByNamespace ? "enabled" : "disabled",
    alwaysInjectSelector: [],
    neverInjectSelector: [],
    injectedAnnotations: {},
    defaultTemplates: ["sidecar"],
    templates: injectionTemplates(mesh),
  };
  return {
    mesh,
    istiodLabels: istiodLabels(mesh),
    // Istio's label on its injector webhook; istioctl x injector list selects by it.
    injectorWebhookLabels: { ...istiodLabels(mesh), app: "sidecar-injector" },
    injectionWebhooks: injectionWebhooks(mesh),
    injectorConfig: yamlText(config),
    injectorValues: JSON.stringify(injectorValues(mesh), null, 2),
  };
}

export function gatewayContext(mesh: EffectiveConfig, gateway: ResolvedGateway) {
  const floor = gateway.autoscaling.enabled ? gateway.autoscaling.minReplicas : gateway.replicas;
  return {
    mesh,
    gateway,
    gatewayLabels: { ...gateway.selector, "istio.io/rev": mesh.revisionLabel },
    gatewayReplicasInSpec: !gateway.autoscaling.enabled,
    gatewayDisruptionBudget: floor > 1,
  };
}

export function policiesContext(mesh: EffectiveConfig) {
  const { accessLogging, tracing } = mesh.spec.telemetry;
  return {
    mesh,
    policyLabels: { "istio.io/rev": mesh.revisionLabel },
    denyAll: mesh.spec.security.authorization === "DenyAll",
    // Ambient's waypoints bind policies by targetRefs only (docs/ambient.md).
    waypointDenyAll: mesh.spec.security.authorization === "DenyAll" && mesh.ambient !== null,
    gateways: mesh.gateways.map((g) => ({ ...g, policyName: `meshkeeper-allow-${g.name}` })),
    telemetryEnabled: accessLogging || tracing !== undefined,
    tracing: tracing
      ? { provider: "meshkeeper-tracing", samplingPercent: tracing.samplingPercent }
      : null,
  };
}

export function namespacesContext(mesh: EffectiveConfig) {
  const namespaces = [mesh.namespace, ...mesh.gateways.map((g) => g.namespace)];
  return { namespaces: [...new Set(namespaces)] };
}
