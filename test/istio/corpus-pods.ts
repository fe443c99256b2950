/** The corpus cases (test/fixtures/injection-corpus.ts) as Pod objects in one namespace. */
import type { CorpusPod } from "../fixtures/injection-corpus.ts";
import type { Pod } from "./admission.ts";

const HASH = "5d8f9c7b6";

function owner(kind: "ReplicaSet" | "Job", name: string) {
  const apiVersion = kind === "Job" ? "batch/v1" : "apps/v1";
  // A made-up uid: the API server does not check that owners exist on create.
  return { apiVersion, kind, name, uid: "00000000-0000-4000-8000-000000000001", controller: true };
}

export function corpusPod(entry: CorpusPod, namespace: string): Pod {
  const ownerKind = entry.owner ?? "ReplicaSet";
  const labels: Record<string, string> = { ...entry.labels };
  const metadata: Pod = { name: entry.name, namespace, labels };
  if (ownerKind === "ReplicaSet") {
    // istiod names the Deployment by cutting the pod-template-hash off the ReplicaSet's name.
    labels["pod-template-hash"] = HASH;
    metadata.ownerReferences = [owner("ReplicaSet", `${entry.name}-${HASH}`)];
  } else if (ownerKind === "Job") {
    metadata.ownerReferences = [owner("Job", `${entry.name}-job`)];
  }
  if (entry.annotations) metadata.annotations = { ...entry.annotations };
  const spec = structuredClone(
    entry.spec ?? {
      containers: [
        {
          name: "app",
          image: "registry.example/app:1.0",
          ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
        },
      ],
    },
  );
  return { apiVersion: "v1", kind: "Pod", metadata, spec };
}
