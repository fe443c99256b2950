/**
 * The MeshConfig's spec and status descriptors: how the OperatorHub / OpenShift console
 * shows and edits the main fields. Data; a unit test checks every path exists in the CRD.
 */
export interface Descriptor {
  readonly path: string;
  readonly displayName: string;
  readonly description: string;
  readonly "x-descriptors": readonly string[];
}

const UI = "urn:alm:descriptor:com.tectonic.ui";

function select(...options: string[]): string[] {
  return options.map((option) => `${UI}:select:${option}`);
}

function d(path: string, displayName: string, description: string, x: readonly string[]): Descriptor {
  return { path, displayName, description, "x-descriptors": x };
}

export const SPEC_DESCRIPTORS: readonly Descriptor[] = [
  d("version", "Istio Version", "The Istio release to install, for example 1.31.1.", [`${UI}:text`]),
  d("hub", "Image Registry", "Registry the Istio images are pulled from.", [`${UI}:text`]),
  d("namespace", "Control Plane Namespace", "Namespace of istiod and the CA; immutable.", [
    "urn:alm:descriptor:io.kubernetes:Namespace",
  ]),
  d("revision", "Revision", "Control-plane revision, for canary upgrades.", [`${UI}:text`]),
  d("controlPlane.replicas", "istiod Replicas", "istiod replicas while autoscaling is off.", [
    `${UI}:podCount`,
  ]),
  d("controlPlane.autoscaling.enabled", "istiod Autoscaling", "Scale istiod on CPU.", [
    `${UI}:booleanSwitch`,
  ]),
  d("controlPlane.resources", "istiod Resources", "istiod's resource requests and limits.", [
    `${UI}:resourceRequirements`,
  ]),
  d("sidecarInjector.enabled", "Sidecar Injection", "Install the sidecar injector webhook.", [
    `${UI}:booleanSwitch`,
  ]),
  d("certificateAuthority.type", "Certificate Authority", "SelfSigned, or your own CA Secret.", [
    `${UI}:fieldGroup:certificateAuthority`,
    ...select("SelfSigned", "Secret"),
  ]),
  d("certificateAuthority.secret.name", "CA Secret", "Secret with your own CA (type Secret).", [
    `${UI}:fieldGroup:certificateAuthority`,
    "urn:alm:descriptor:io.kubernetes:Secret",
  ]),
  d("security.mtls", "Mutual TLS", "Mesh-wide mTLS mode.", select("STRICT", "PERMISSIVE", "DISABLE")),
  d(
    "security.authorization",
    "Authorization",
    "AllowAll, or DenyAll with generated allow rules for gateways and probes.",
    select("AllowAll", "DenyAll"),
  ),
  d("telemetry.accessLogging", "Access Logging", "Envoy access logs for the whole mesh.", [
    `${UI}:booleanSwitch`,
  ]),
];

export const STATUS_DESCRIPTORS: readonly Descriptor[] = [
  d("conditions", "Conditions", "Ready, Reconciled, Reconciling, Stalled and per component.", [
    "urn:alm:descriptor:io.kubernetes.conditions",
  ]),
  d("istioVersion", "Installed Istio Version", "The Istio version the mesh runs.", [`${UI}:text`]),
  d("observedGeneration", "Observed Generation", "The spec generation the status describes.", [
    `${UI}:text`,
  ]),
  d("managedObjects", "Managed Objects", "Objects the operator keeps in place.", [`${UI}:text`]),
  d(
    "certificateAuthority.rootNotAfter",
    "Root CA Expiry",
    "When the root certificate expires.",
    [`${UI}:text`],
  ),
  d(
    "certificateAuthority.intermediateNotAfter",
    "Intermediate CA Expiry",
    "When the signing certificate expires (renewed before).",
    [`${UI}:text`],
  ),
];
