/**
 * KWOK's configuration: which nodes it plays and the Stages that move them along.
 * KWOK only changes an object when a Stage's selector matches it, then renders the
 * Stage's Go template as the new status. Three stages are all a mesh test needs:
 * nodes become Ready, scheduled pods start Running/Ready, deleted pods go away.
 * With a pod latency (PodLatency), a pod goes the way a kubelet takes it instead: Running
 * but not Ready after the start delay (images pulled, containers started), Ready after the
 * readiness delay (probes passing), so rollouts surge, wait on maxUnavailable and take time.
 */
import { KUBERNETES_VERSION, KWOK_VERSION } from "./components.ts";

/** Nodes carrying this label are the ones KWOK manages; nothing else is touched. */
export const KWOK_NODE_LABEL = "meshkeeper.dev/kwok-node";

const indent = (lines: readonly string[], spaces: number) =>
  lines.map((line) => " ".repeat(spaces) + line);

/** One Stage: an object of `kind` matching `selector` moves on, after `delay`, by `next`. */
interface StageSpec {
  readonly name: string;
  readonly kind: "Node" | "Pod";
  /** matchExpressions, as YAML lines. */
  readonly selector: readonly string[];
  readonly delay?: string;
  /** The `next` block, as YAML lines. */
  readonly next: readonly string[];
}

function stage(spec: StageSpec): string {
  const delay = spec.delay ? [`  ${spec.delay}`] : [];
  return [
    "",
    "apiVersion: kwok.x-k8s.io/v1alpha1",
    "kind: Stage",
    "metadata:",
    `  name: ${spec.name}`,
    "spec:",
    `  resourceRef: { apiGroup: v1, kind: ${spec.kind} }`,
    "  selector:",
    "    matchExpressions:",
    ...indent(spec.selector, 6),
    ...delay,
    "  next:",
    ...indent(spec.next, 4),
    "",
  ].join("\n");
}

/** A status template: `lines` rendered by KWOK, with `$now` the Stage's time. */
const statusTemplate = (lines: readonly string[]) => [
  "statusTemplate: |",
  ...indent(["{{ $now := Now | Quote }}", ...lines], 2),
];

/** A Node or Pod whose Ready condition is not True (yet). */
const NOT_READY = [
  "- key: '.status.conditions.[] | select(.type == \"Ready\") | .status'",
  "  operator: NotIn",
  '  values: ["True"]',
];

/** What a kubelet reports of a ready node. */
const NODE_STATUS = `
phase: Running
conditions:
  - { type: Ready, status: "True", reason: KubeletReady, message: "simulated by kwok", lastHeartbeatTime: {{ $now }}, lastTransitionTime: {{ $now }} }
  - { type: MemoryPressure, status: "False", reason: KubeletHasSufficientMemory, message: "simulated by kwok", lastHeartbeatTime: {{ $now }}, lastTransitionTime: {{ $now }} }
  - { type: DiskPressure, status: "False", reason: KubeletHasNoDiskPressure, message: "simulated by kwok", lastHeartbeatTime: {{ $now }}, lastTransitionTime: {{ $now }} }
  - { type: PIDPressure, status: "False", reason: KubeletHasSufficientPID, message: "simulated by kwok", lastHeartbeatTime: {{ $now }}, lastTransitionTime: {{ $now }} }
addresses:
  - { type: InternalIP, address: {{ NodeIP | Quote }} }
  - { type: Hostname, address: {{ .metadata.name | Quote }} }
capacity: { cpu: "32", memory: 128Gi, pods: "250", ephemeral-storage: 500Gi }
allocatable: { cpu: "32", memory: 128Gi, pods: "250", ephemeral-storage: 500Gi }
nodeInfo:
  architecture: amd64
  operatingSystem: linux
  kubeletVersion: ${KUBERNETES_VERSION}
  kubeProxyVersion: ${KUBERNETES_VERSION}
  containerRuntimeVersion: kwok://${KWOK_VERSION}
  kernelVersion: kwok
  osImage: kwok
  machineID: ""
  systemUUID: ""
  bootID: ""
`
  .trim()
  .split("\n");

const NODE_READY = stage({
  name: "meshkeeper-node-ready",
  kind: "Node",
  selector: NOT_READY,
  next: statusTemplate(NODE_STATUS),
});

const NOT_DELETED = "- { key: .metadata.deletionTimestamp, operator: DoesNotExist }";
const inPhase = (phase: string) => `- { key: .status.phase, operator: In, values: [${phase}] }`;

/** One pod Stage: a live pod matching `selector`, after `delay`, gets the status `status`. */
interface PodStage {
  readonly name: string;
  /** matchExpressions beyond "not being deleted", as YAML lines. */
  readonly selector: readonly string[];
  readonly delay?: string;
  /** The statusTemplate's lines after `$now`. */
  readonly status: readonly string[];
}

function podStage(pod: PodStage): string {
  return stage({
    name: pod.name,
    kind: "Pod",
    selector: [NOT_DELETED, ...pod.selector],
    ...(pod.delay ? { delay: pod.delay } : {}),
    next: statusTemplate(pod.status),
  });
}

/** The pod's conditions: scheduled and initialized at `since`, ready or not (at `$now`). */
function conditions(since: string, ready: boolean): string[] {
  const readiness = ready
    ? [
        '- { type: ContainersReady, status: "True", lastTransitionTime: {{ $now }} }',
        '- { type: Ready, status: "True", lastTransitionTime: {{ $now }} }',
        "{{- range .spec.readinessGates }}",
        '- { type: {{ .conditionType | Quote }}, status: "True", lastTransitionTime: {{ $now }} }',
        "{{- end }}",
      ]
    : [
        '- { type: ContainersReady, status: "False", reason: ContainersNotReady, lastTransitionTime: {{ $now }} }',
        '- { type: Ready, status: "False", reason: ContainersNotReady, lastTransitionTime: {{ $now }} }',
      ];
  const scheduled = [
    `- { type: PodScheduled, status: "True", lastTransitionTime: ${since} }`,
    `- { type: Initialized, status: "True", lastTransitionTime: ${since} }`,
  ];
  return ["conditions:", ...[...scheduled, ...readiness].map((line) => `  ${line}`)];
}

/** Every container running since `startedAt`, ready or not. */
function containerStatuses(ready: boolean, startedAt: string): string[] {
  return [
    "containerStatuses:",
    "  {{- range .spec.containers }}",
    `  - { name: {{ .name | Quote }}, image: {{ .image | Quote }}, imageID: "", ready: ${String(ready)}, started: true, restartCount: 0, state: { running: { startedAt: ${startedAt} } } }`,
    "  {{- end }}",
  ];
}

/** Pending -> Running, as a kubelet starts a pod: init containers done, containers started. */
function started(ready: boolean): string[] {
  return [
    "phase: Running",
    "startTime: {{ $now }}",
    "hostIP: {{ NodeIPWith .spec.nodeName | Quote }}",
    'podIP: {{ PodIPWith .spec.nodeName (or .spec.hostNetwork false) (or .metadata.uid "") .metadata.name .metadata.namespace | Quote }}',
    ...conditions("{{ $now }}", ready),
    ...containerStatuses(ready, "{{ $now }}"),
    "initContainerStatuses:",
    "  {{- range .spec.initContainers }}",
    '  - { name: {{ .name | Quote }}, image: {{ .image | Quote }}, imageID: "", ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: Completed, startedAt: {{ $now }}, finishedAt: {{ $now }} } } }',
    "  {{- end }}",
  ];
}

/** Without latency: Pending -> Running and Ready at once. */
const POD_RUNNING = podStage({
  name: "meshkeeper-pod-running",
  selector: [inPhase("Pending")],
  status: started(true),
});

const POD_GONE = stage({
  name: "meshkeeper-pod-gone",
  kind: "Pod",
  selector: ["- { key: .metadata.deletionTimestamp, operator: Exists }"],
  next: ["finalizers: { empty: true }", "delete: true"],
});

/** How long KWOK takes a scheduled pod to Running, then to Ready; zero for both: at once. */
export interface PodLatency {
  /** Scheduled -> Running (containers started, not Ready). */
  readonly startMs: number;
  /** Running -> Ready (readiness probes passing). */
  readonly readyMs: number;
  /** Each delay grows by up to this much, chosen at random per pod. */
  readonly jitterMs?: number;
}

export const NO_POD_LATENCY: PodLatency = { startMs: 0, readyMs: 0 };

function delay(ms: number, jitterMs: number): string {
  // KWOK reads jitterDurationMilliseconds as the upper end of the interval, not an addition.
  const jitter = jitterMs > 0 ? `, jitterDurationMilliseconds: ${ms + jitterMs}` : "";
  return `delay: { durationMilliseconds: ${ms}${jitter} }`;
}

/** Pending -> Running with every container started but none ready yet. */
function podStarted(latency: PodLatency): string {
  return podStage({
    name: "meshkeeper-pod-started",
    selector: [inPhase("Pending")],
    delay: delay(latency.startMs, latency.jitterMs ?? 0),
    status: started(false),
  });
}

/** Running but not Ready -> Ready: the readiness probes pass. */
function podReady(latency: PodLatency): string {
  return podStage({
    name: "meshkeeper-pod-ready",
    selector: [inPhase("Running"), ...NOT_READY],
    delay: delay(latency.readyMs, latency.jitterMs ?? 0),
    status: [
      ...conditions("{{ .status.startTime | Quote }}", true),
      ...containerStatuses(true, "{{ $.status.startTime | Quote }}"),
    ],
  });
}

/** Reads a latency from MESHKEEPER_POD_START_MS / _READY_MS / _JITTER_MS (the demo's and benches' switch). */
export function podLatencyFromEnv(env: Readonly<Record<string, string | undefined>>): PodLatency {
  const read = (name: string): number => {
    const text = env[name];
    if (text === undefined || text === "") return 0;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0)
      throw new Error(
        `${name} must be a whole number of milliseconds (0 or more), got ${JSON.stringify(text)}`,
      );
    return value;
  };
  return {
    startMs: read("MESHKEEPER_POD_START_MS"),
    readyMs: read("MESHKEEPER_POD_READY_MS"),
    jitterMs: read("MESHKEEPER_POD_JITTER_MS"),
  };
}

export function kwokConfiguration(latency: PodLatency = NO_POD_LATENCY): string {
  const immediate = latency.startMs === 0 && latency.readyMs === 0 && !latency.jitterMs;
  const pods = immediate ? [POD_RUNNING] : [podStarted(latency), podReady(latency)];
  return [NODE_READY, ...pods, POD_GONE].map((doc) => doc.trim()).join("\n---\n") + "\n";
}
