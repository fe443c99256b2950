/**
 * The injector ConfigMap's `values` key: Istio's Helm values in the shape Istio's own chart
 * writes there (global, sidecarInjectorWebhook, revision, pilot.cni/env, gateways). Our
 * injection templates bake their settings in and do not read these, but Istio's tools do:
 * `istioctl analyze` reads sidecarInjectorWebhook.enableNamespacesByDefault (and panics
 * without it) and global.hub/tag/proxy.image, `istioctl kube-inject` renders the templates
 * with them, and `istioctl x workload` reads global.multiCluster.clusterName. So every key
 * Istio's chart writes is here, holding what this mesh really does: the spec's settings,
 * and Istio's defaults where Meshkeeper keeps them (test/istio/istioctl.test.ts compares
 * with the values `istioctl manifest generate` writes for the same settings).
 */
import type { EffectiveConfig } from "./effective-config.ts";
import { proxyDefaults } from "./injection-go.ts";
import { cniRedirects } from "./injection-sidecar.ts";
import { WAYPOINT_RESOURCES } from "./injection-waypoint.ts";
import { ISTIO_IMAGES } from "./istio-versions.ts";

function proxyValues(mesh: EffectiveConfig) {
  const proxy = proxyDefaults(mesh);
  return {
    image: ISTIO_IMAGES.proxy,
    autoInject: mesh.sidecarsByNamespace ? "enabled" : "disabled",
    clusterDomain: "cluster.local",
    componentLogLevel: proxy.componentLogLevel,
    excludeInboundPorts: "",
    includeInboundPorts: "*",
    includeIPRanges: "*",
    excludeIPRanges: "",
    includeOutboundPorts: "",
    excludeOutboundPorts: "",
    logLevel: proxy.logLevel,
    outlierLogPath: "",
    privileged: false,
    seccompProfile: {},
    readinessFailureThreshold: 4,
    readinessInitialDelaySeconds: 0,
    readinessPeriodSeconds: 15,
    startupProbe: { enabled: true, failureThreshold: 600 },
    resources: proxy.resources,
    statusPort: Number(proxy.statusPort),
    tracer: "none",
    holdApplicationUntilProxyStarts: proxy.holdApplicationUntilProxyStarts,
  };
}

function globalValues(mesh: EffectiveConfig) {
  return {
    istioNamespace: mesh.namespace,
    certSigners: [],
    defaultPodDisruptionBudget: { enabled: true },
    defaultResources: { requests: { cpu: "10m" } },
    hub: mesh.spec.hub,
    tag: mesh.version,
    variant: "",
    imagePullPolicy: "",
    imagePullSecrets: [],
    istiod: { enableAnalysis: false },
    logAsJson: false,
    nativeNftables: false,
    logging: { level: `default:${mesh.spec.controlPlane.logLevel}` },
    networkPolicy: { enabled: false },
    omitSidecarInjectorConfigMap: false,
    resourceScope: "all",
    operatorManageWebhooks: false,
    priorityClassName: "",
    proxy: proxyValues(mesh),
    proxy_init: { image: ISTIO_IMAGES.proxy, forceApplyIptables: false },
    remotePilotAddress: "",
    caAddress: "",
    externalIstiod: false,
    configCluster: false,
    configValidation: true,
    meshID: "",
    meshNetworks: {},
    mountMtlsCerts: false,
    // Empty as Istio's chart writes it: istiod's CLUSTER_ID then defaults to "Kubernetes".
    multiCluster: { clusterName: "" },
    network: "",
    pilotCertProvider: "istiod",
    sds: { token: { aud: "istio-ca" } },
    sts: { servicePort: 0 },
    caName: "",
    waypoint: {
      resources: WAYPOINT_RESOURCES,
      affinity: {},
      topologySpreadConstraints: [],
      nodeSelector: {},
      tolerations: [],
    },
  };
}

/** What the injector ConfigMap's `values` key holds for this mesh. */
export function injectorValues(mesh: EffectiveConfig) {
  return {
    global: globalValues(mesh),
    revision: mesh.revision,
    sidecarInjectorWebhook: {
      neverInjectSelector: [],
      alwaysInjectSelector: [],
      injectedAnnotations: {},
      // Namespaces without a label are not injected (istioctl analyze reads this).
      enableNamespacesByDefault: false,
      reinvocationPolicy: "Never",
      rewriteAppHTTPProbe: true,
      templates: {},
      defaultTemplates: [],
    },
    // Where the CNI agent runs (ambient, both), it redirects the sidecars too (istio-validation).
    pilot: {
      cni: {
        enabled: cniRedirects(mesh),
        provider: "default",
        ...(mesh.ambient ? { ambient: { enabled: true } } : {}),
      },
      env: mesh.ambient ? { PILOT_ENABLE_AMBIENT: "true" } : {},
    },
    gateways: { securityContext: {}, seccompProfile: {} },
  };
}
