/**
 * KWOK's configuration: which nodes it plays and the Stages that move them along.
 * KWOK only changes an object when a Stage's selector matches it, then renders the
 * Stage's Go template as the new status. Three stages are all a mesh test needs:
 * nodes become Ready, scheduled pods start Running/Ready, deleted pods go away.
 */
import { KUBERNETES_VERSION, KWOK_VERSION } from "./components.ts";

/** Nodes carrying this label are the ones KWOK manages; nothing else is touched. */
export const KWOK_NODE_LABEL = "meshkeeper.dev/kwok-node";

const NODE_READY = `
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: meshkeeper-node-ready
spec:
  resourceRef: { apiGroup: v1, kind: Node }
  selector:
    matchExpressions:
      - key: '.status.conditions.[] | select(.type == "Ready") | .status'
        operator: NotIn
        values: ["True"]
  next:
    statusTemplate: |
      {{ $now := Now | Quote }}
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
`;

const POD_RUNNING = `
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: meshkeeper-pod-running
spec:
  resourceRef: { apiGroup: v1, kind: Pod }
  selector:
    matchExpressions:
      - { key: .metadata.deletionTimestamp, operator: DoesNotExist }
      - { key: .status.phase, operator: In, values: [Pending] }
  next:
    statusTemplate: |
      {{ $now := Now | Quote }}
      phase: Running
      startTime: {{ $now }}
      hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
      podIP: {{ PodIPWith .spec.nodeName (or .spec.hostNetwork false) (or .metadata.uid "") .metadata.name .metadata.namespace | Quote }}
      conditions:
        - { type: PodScheduled, status: "True", lastTransitionTime: {{ $now }} }
        - { type: Initialized, status: "True", lastTransitionTime: {{ $now }} }
        - { type: ContainersReady, status: "True", lastTransitionTime: {{ $now }} }
        - { type: Ready, status: "True", lastTransitionTime: {{ $now }} }
        {{- range .spec.readinessGates }}
        - { type: {{ .conditionType | Quote }}, status: "True", lastTransitionTime: {{ $now }} }
        {{- end }}
      containerStatuses:
        {{- range .spec.containers }}
        - { name: {{ .name | Quote }}, image: {{ .image | Quote }}, imageID: "", ready: true, started: true, restartCount: 0, state: { running: { startedAt: {{ $now }} } } }
        {{- end }}
      initContainerStatuses:
        {{- range .spec.initContainers }}
        - { name: {{ .name | Quote }}, image: {{ .image | Quote }}, imageID: "", ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: Completed, startedAt: {{ $now }}, finishedAt: {{ $now }} } } }
        {{- end }}
`;

const POD_GONE = `
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: meshkeeper-pod-gone
spec:
  resourceRef: { apiGroup: v1, kind: Pod }
  selector:
    matchExpressions:
      - { key: .metadata.deletionTimestamp, operator: Exists }
  next:
    finalizers: { empty: true }
    delete: true
`;

export function kwokConfiguration(): string {
  return [NODE_READY, POD_RUNNING, POD_GONE].map((doc) => doc.trim()).join("\n---\n") + "\n";
}
