/**
 * The status contract's vocabulary: every condition type and every reason the operator
 * writes into MeshConfig status or into Events, as constants. Status, observe, events, the
 * Argo CD health check and the tests all name them from here, so a reason cannot be
 * misspelled in one place and silently differ from what a reader checks for.
 */
import type { CaSecretReason } from "../pki/ca-secret-result.ts";

/** Condition types: the summary first (DESIGN.md, Status), then the components. */
export const ConditionType = {
  /** The mesh serves: every component ready. */
  Ready: "Ready",
  /** This generation was applied without error. */
  Reconciled: "Reconciled",
  /** Work is in progress (abnormal-true, for kstatus, Flux and kpt). */
  Reconciling: "Reconciling",
  /** A person must act: InvalidSpec, UnsupportedVersion, ProgressDeadlineExceeded. */
  Stalled: "Stalled",
  ControlPlaneReady: "ControlPlaneReady",
  InjectorReady: "InjectorReady",
  GatewaysReady: "GatewaysReady",
  CAReady: "CAReady",
  /** Present only while the root is within renewBefore of expiring. */
  CACertificateExpiring: "CACertificateExpiring",
  PoliciesApplied: "PoliciesApplied",
  /** Ambient (spec.dataPlane.mode ambient or both): the ztunnel DaemonSet has rolled out. */
  ZtunnelReady: "ZtunnelReady",
  /** Ambient: the istio-cni node agent DaemonSet has rolled out. */
  CNIReady: "CNIReady",
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

/** The summary conditions every reconcile writes, in the order they are written. */
export const SUMMARY_CONDITIONS = [
  ConditionType.Ready,
  ConditionType.Reconciled,
  ConditionType.Reconciling,
  ConditionType.Stalled,
] as const satisfies readonly ConditionType[];

/** The CA's own conditions: kept from the last run when this one did not reach the CA. */
export const CA_CONDITIONS = [
  ConditionType.CAReady,
  ConditionType.CACertificateExpiring,
] as const satisfies readonly ConditionType[];

/** The order conditions are written in: the summary first, then the components. */
export const CONDITION_ORDER = [
  ...SUMMARY_CONDITIONS,
  ConditionType.ControlPlaneReady,
  ConditionType.InjectorReady,
  ConditionType.GatewaysReady,
  ConditionType.ZtunnelReady,
  ConditionType.CNIReady,
  ...CA_CONDITIONS,
  ConditionType.PoliciesApplied,
] as const satisfies readonly ConditionType[];

/** Why a spec is refused until a person changes it (terminal: Stalled). */
export const RefusedReason = {
  InvalidSpec: "InvalidSpec",
  UnsupportedVersion: "UnsupportedVersion",
  /** The cluster's Gateway API CRDs are missing, too old, or newer than ours (gateway-api-check.ts). */
  GatewayAPIVersionUnsupported: "GatewayAPIVersionUnsupported",
} as const;
export type RefusedReason = (typeof RefusedReason)[keyof typeof RefusedReason];

/** What a closed phase gate waits for (apply-phases.ts): Reconciling while it waits. */
export const GateReason = {
  CRDsNotEstablished: "CRDsNotEstablished",
  APINotServedYet: "APINotServedYet",
  IstiodNotAvailable: "IstiodNotAvailable",
} as const;
export type GateReason = (typeof GateReason)[keyof typeof GateReason];

/** Reasons of CAReady=False from the CA step itself (the Secret checks add their own). */
export const CaReason = {
  Valid: "Valid",
  RootExpiringSoon: "RootExpiringSoon",
  SecretNotFound: "SecretNotFound",
  CAInProgress: "CAInProgress",
  RenewalFailed: "RenewalFailed",
} as const;
export type CaFailureReason =
  Exclude<(typeof CaReason)[keyof typeof CaReason], "Valid" | "RootExpiringSoon"> | CaSecretReason;

/** Every other reason the operator writes. */
export const Reason = {
  ...RefusedReason,
  ...GateReason,
  ...CaReason,
  MeshReady: "MeshReady",
  Applied: "Applied",
  Progressing: "Progressing",
  Paused: "Paused",
  ProgressDeadlineExceeded: "ProgressDeadlineExceeded",
  ApplyFailed: "ApplyFailed",
  Deleting: "Deleting",
  Available: "Available",
  Serving: "Serving",
  WebhookNotReady: "WebhookNotReady",
  GatewaysNotAvailable: "GatewaysNotAvailable",
  Pending: "Pending",
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/** Reasons of Events that are not a condition's reason. */
export const EventReason = {
  /** The mesh became Ready (the Ready condition's own reason is MeshReady too). */
  MeshReady: Reason.MeshReady,
  CAUpdated: "CAUpdated",
  TeardownTimedOut: "TeardownTimedOut",
  /** spec.updateStrategy.updateWorkloads restarted a batch of injected workloads. */
  WorkloadsRestarted: "WorkloadsRestarted",
} as const;
export type EventReason = (typeof EventReason)[keyof typeof EventReason];
