/**
 * Injection as the API server would ask for it: an AdmissionReview v1 for a pod CREATE,
 * POSTed to istiod's /inject, its JSON patch applied. istiod's webhook serves a
 * certificate signed by the mesh CA for its Service name; we connect over loopback, so the
 * chain is checked against the mesh root but the host name is not.
 */
import { randomUUID } from "node:crypto";
import { request } from "node:https";
import { applyJsonPatch, type PatchOperation } from "./json-patch.ts";

export type Pod = Record<string, any>;

export type InjectionOutcome =
  | { kind: "patched"; pod: Pod; patch: PatchOperation[] }
  | { kind: "unchanged"; pod: Pod }
  | { kind: "refused"; message: string };

/** POSTs JSON to one of istiod's webhooks over TLS checked against the mesh root. */
export function post(
  url: string,
  body: unknown,
  rootCert: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        ca: rootCert,
        checkServerIdentity: () => undefined,
        timeout: 30_000,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, text });
        });
      },
    );
    req.on("timeout", () => {
      req.destroy(new Error(`POST ${url} timed out`));
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

export async function inject(
  injectUrl: string,
  rootCert: string,
  pod: Pod,
): Promise<InjectionOutcome> {
  const review = {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: randomUUID(),
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      requestKind: { group: "", version: "v1", kind: "Pod" },
      requestResource: { group: "", version: "v1", resource: "pods" },
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      operation: "CREATE",
      userInfo: { username: "system:serviceaccount:kube-system:replicaset-controller" },
      object: pod,
      dryRun: false,
    },
  };
  const { status, text } = await post(injectUrl, review, rootCert);
  if (status !== 200) throw new Error(`POST ${injectUrl}: HTTP ${status}: ${text}`);
  const response = (JSON.parse(text) as { response?: any }).response;
  if (!response) throw new Error(`POST ${injectUrl}: no response in ${text}`);
  if (response.allowed !== true) {
    return { kind: "refused", message: String(response.status?.message ?? text) };
  }
  if (!response.patch) return { kind: "unchanged", pod };
  const patch = JSON.parse(
    Buffer.from(response.patch, "base64").toString("utf8"),
  ) as PatchOperation[];
  return { kind: "patched", pod: applyJsonPatch(pod, patch), patch };
}
