/**
 * Talks to the shared API server about MeshConfigs: installs the generated CRD and sends
 * objects with server-side dry-run, so tests see exactly what admission would do without
 * fighting over the singleton name.
 */
import {
  ApiException,
  ApiextensionsV1Api,
  CustomObjectsApi,
  loadYaml,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { CRD_FILE, GROUP, PLURAL, VERSION } from "../../operator/api/crd.ts";
import { adminConfig } from "./cluster-client.ts";

export const config = adminConfig();
export const customObjects = config.makeApiClient(CustomObjectsApi);
export const target = { group: GROUP, version: VERSION, plural: PLURAL };

/** Installs (or replaces) the committed MeshConfig CRD and waits until it is Established. */
export async function installMeshConfigCrd(): Promise<void> {
  const api = config.makeApiClient(ApiextensionsV1Api);
  // loadYaml turns JSON field names into client-node's model (default -> _default,
  // x-kubernetes-validations -> xKubernetesValidations); a plain parse would have the
  // typed serializer silently drop those fields.
  const text = readFileSync(new URL(`../../crds/${CRD_FILE}`, import.meta.url), "utf8");
  const body = loadYaml<V1CustomResourceDefinition>(text);
  const name = body.metadata?.name ?? "";
  try {
    await api.createCustomResourceDefinition({ body });
  } catch (error) {
    if (!(error instanceof ApiException) || error.code !== 409) throw error;
    const existing = await api.readCustomResourceDefinition({ name });
    if (body.metadata) body.metadata.resourceVersion = existing.metadata?.resourceVersion ?? "";
    await api.replaceCustomResourceDefinition({ name, body });
  }
  await waitEstablished(api, name);
}

async function waitEstablished(api: ApiextensionsV1Api, name: string): Promise<void> {
  for (;;) {
    const crd = await api.readCustomResourceDefinition({ name });
    const conditions = crd.status?.conditions ?? [];
    if (conditions.some((c) => c.type === "Established" && c.status === "True")) return;
    await sleep(50);
  }
}

export type Admission =
  { accepted: true; object: any } | { accepted: false; status: number; message: string };

function rejection(error: unknown): Admission {
  if (!(error instanceof ApiException)) throw error;
  const body = JSON.parse(String(error.body)) as { message?: string };
  return { accepted: false, status: error.code, message: body.message ?? String(error.body) };
}

/** Server-side dry-run create: what admission would store, or why it refuses. */
export async function dryRunCreate(body: Record<string, unknown>): Promise<Admission> {
  try {
    const object = await customObjects.createClusterCustomObject({
      ...target,
      body,
      dryRun: "All",
    });
    return { accepted: true, object };
  } catch (error) {
    return rejection(error);
  }
}

export async function replace(body: Record<string, unknown>): Promise<Admission> {
  try {
    const name = (body.metadata as { name: string }).name;
    const object = await customObjects.replaceClusterCustomObject({ ...target, name, body });
    return { accepted: true, object };
  } catch (error) {
    return rejection(error);
  }
}
