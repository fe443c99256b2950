/**
 * What `meshkeeper status` prints: a MeshConfig's status for a person at a terminal.
 * Pure (the clock is an argument) so the layout is tested without a cluster. Plain aligned
 * columns, no colors, so the output reads the same in a pipe, a log or a bug report.
 */
import type { Condition, MeshConfigStatus } from "../api/mesh-config-status.ts";

/** The parts of a MeshConfig read here; the API server validated the rest. */
interface MeshConfigView {
  readonly metadata?: { readonly name?: string; readonly generation?: number };
  readonly spec?: { readonly version?: string };
  readonly status?: Partial<MeshConfigStatus>;
}

/** The status contract's summary conditions first, as a person reads them. */
const SUMMARY_ORDER = ["Ready", "Reconciled", "Reconciling", "Stalled"];

/** kubectl's short duration: 5s, 3m, 2h, 4d, 2y. */
function duration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.floor(hours / 24)}d`;
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** Age like kubectl's AGE column; "<invalid>" when the time is ahead of our clock. */
export function age(since: string, now: Date): string {
  const seconds = Math.floor((now.getTime() - Date.parse(since)) / 1000);
  if (Number.isNaN(seconds)) return "<unknown>";
  if (seconds < -1) return "<invalid>";
  return duration(Math.max(seconds, 0));
}

/** Rows padded to their widest cell; the last column is not padded (no trailing spaces). */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd(),
  );
}

function byContractOrder(a: Condition, b: Condition): number {
  const rank = (c: Condition) => {
    const index = SUMMARY_ORDER.indexOf(c.type);
    return index === -1 ? SUMMARY_ORDER.length : index;
  };
  return rank(a) - rank(b);
}

function generationText(generation: number | undefined, observed: number): string {
  if (observed < 0) return `generation ${generation ?? "?"}, not observed yet`;
  const lag = generation !== undefined && observed < generation ? " (not caught up yet)" : "";
  return `generation ${generation ?? "?"}, observed ${observed}${lag}`;
}

function header(view: MeshConfigView): string {
  const version = view.status?.istioVersion ?? view.spec?.version ?? "unknown";
  const generation = generationText(
    view.metadata?.generation,
    view.status?.observedGeneration ?? -1,
  );
  return `MeshConfig ${view.metadata?.name ?? "?"}   Istio ${version}   ${generation}`;
}

function conditionLines(conditions: readonly Condition[], now: Date): string[] {
  if (conditions.length === 0) return ["CONDITIONS", "(none reported yet)"];
  const rows = [...conditions].sort(byContractOrder).map((c) => [
    c.type,
    c.status,
    c.reason,
    age(c.lastTransitionTime, now),
    // One line per condition keeps the columns readable.
    c.message.replace(/\s*\n\s*/g, " "),
  ]);
  return ["CONDITIONS", ...table([["TYPE", "STATUS", "REASON", "AGE", "MESSAGE"], ...rows])];
}

type Counts = NonNullable<NonNullable<MeshConfigStatus["components"]>["istiod"]>;

/** kubectl get deployment's columns: READY, UP-TO-DATE, AVAILABLE. */
function countColumns(counts: Counts): string[] {
  return [`${counts.ready}/${counts.desired}`, String(counts.updated), String(counts.available)];
}

function componentLines(components: MeshConfigStatus["components"]): string[] {
  const rows: string[][] = [];
  const { istiod, gateways = {} } = components ?? {};
  if (istiod) rows.push(["istiod", ...countColumns(istiod)]);
  for (const key of Object.keys(gateways).sort()) {
    const gateway = gateways[key];
    if (gateway) rows.push([`gateway ${key}`, ...countColumns(gateway)]);
  }
  if (rows.length === 0) return [];
  return ["", "COMPONENTS", ...table([["NAME", "READY", "UP-TO-DATE", "AVAILABLE"], ...rows])];
}

/**
 * One row per control-plane revision: where the default tag points, and the data plane
 * (injected pods, and how many still run a proxy older than the revision: restart them).
 */
function revisionLines(revisions: MeshConfigStatus["revisions"]): string[] {
  if (!revisions?.length) return [];
  const rows = revisions.map((r) => [
    r.name,
    r.version,
    r.ready ? "True" : "False",
    r.tags.length ? r.tags.join(",") : "-",
    String(r.pods),
    r.outdatedProxies === undefined ? "-" : String(r.outdatedProxies),
  ]);
  return [
    "",
    "REVISIONS",
    ...table([["NAME", "VERSION", "READY", "TAGS", "PODS", "OUTDATED PROXIES"], ...rows]),
  ];
}

function expiry(notAfter: string, now: Date): string {
  const seconds = Math.floor((Date.parse(notAfter) - now.getTime()) / 1000);
  if (Number.isNaN(seconds)) return `expires ${notAfter}`;
  return seconds >= 0
    ? `expires ${notAfter} (in ${duration(seconds)})`
    : `expired ${notAfter} (${duration(-seconds)} ago)`;
}

function factLines(status: Partial<MeshConfigStatus>, now: Date): string[] {
  const rows: string[][] = [];
  if (status.managedObjects !== undefined) {
    rows.push(["managed objects", String(status.managedObjects)]);
  }
  const ca = status.certificateAuthority;
  if (ca?.rootNotAfter) rows.push(["CA root", expiry(ca.rootNotAfter, now)]);
  if (ca?.intermediateNotAfter) {
    rows.push(["CA intermediate", expiry(ca.intermediateNotAfter, now)]);
  }
  return rows.length === 0 ? [] : ["", ...table(rows)];
}

/** The whole report, newline-terminated. */
export function statusTable(meshConfig: object, now: Date): string {
  const view = meshConfig as MeshConfigView;
  const status = view.status;
  // The schema defaults observedGeneration to -1: the object exists, the operator has not acted.
  if (!status || ((status.observedGeneration ?? -1) < 0 && !status.conditions?.length)) {
    return `${header(view)}\nstatus: not yet seen by the operator; is it running?\n`;
  }
  const lines = [
    header(view),
    "",
    ...conditionLines(status.conditions ?? [], now),
    ...componentLines(status.components),
    ...revisionLines(status.revisions),
    ...factLines(status, now),
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * Ready=True for the generation the user last applied: a Ready computed from an older
 * spec says nothing about the current one, and scripts gate on this.
 */
export function isReady(meshConfig: object): boolean {
  const view = meshConfig as MeshConfigView;
  const generation = view.metadata?.generation;
  const ready = view.status?.conditions?.find((c) => c.type === "Ready");
  if (ready?.status !== "True") return false;
  if (generation === undefined) return true;
  const observed = ready.observedGeneration ?? view.status?.observedGeneration;
  return observed === generation;
}
