/**
 * Maps apiVersion + kind to the REST path of a resource, from the API server's own
 * discovery documents, cached per group/version (a CRD installed later is found on the
 * next miss, because a miss refreshes its group/version).
 */
import { isNotFound } from "./errors.ts";
import type { RestClient } from "./rest-client.ts";

export interface ResourceInfo {
  readonly plural: string;
  readonly namespaced: boolean;
}

interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

/** The kind is unknown to the API server (maybe not yet: discovery follows a new CRD). */
export class NotServedError extends Error {
  override name = "NotServedError";
}

export class Discovery {
  private readonly client: RestClient;
  private readonly cache = new Map<string, Map<string, ResourceInfo>>();

  constructor(client: RestClient) {
    this.client = client;
  }

  private async load(apiVersion: string): Promise<Map<string, ResourceInfo>> {
    const path = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    let list: ApiResourceList;
    try {
      list = await this.client.send<ApiResourceList>({ method: "GET", path });
    } catch (error) {
      // A group/version not (yet) served: a CRD just installed shows up moments later.
      if (isNotFound(error)) return new Map();
      throw error;
    }
    const kinds = new Map<string, ResourceInfo>();
    // Subresources (pods/status) share their kind with the resource; keep the resource.
    for (const r of list.resources.filter((r) => !r.name.includes("/"))) {
      kinds.set(r.kind, { plural: r.name, namespaced: r.namespaced });
    }
    this.cache.set(apiVersion, kinds);
    return kinds;
  }

  async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const cached = this.cache.get(apiVersion)?.get(kind);
    if (cached) return cached;
    const found = (await this.load(apiVersion)).get(kind);
    if (!found) throw new NotServedError(`the API server does not serve ${kind} in ${apiVersion}`);
    return found;
  }

  /** The collection to list and watch: in one namespace, or across all of them. */
  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const { plural, namespaced } = await this.resource(apiVersion, kind);
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return namespaced && namespace
      ? `${base}/namespaces/${namespace}/${plural}`
      : `${base}/${plural}`;
  }

  /** The path of one object (or of the collection, without a name). */
  async pathOf(object: {
    apiVersion: string;
    kind: string;
    metadata: { name?: string; namespace?: string };
  }) {
    const { plural, namespaced } = await this.resource(object.apiVersion, object.kind);
    const base = object.apiVersion.includes("/")
      ? `/apis/${object.apiVersion}`
      : `/api/${object.apiVersion}`;
    if (namespaced && !object.metadata.namespace) {
      throw new Error(
        `${object.kind} ${object.metadata.name ?? ""} is namespaced but has no namespace`,
      );
    }
    const scope = namespaced ? `/namespaces/${object.metadata.namespace ?? ""}` : "";
    return `${base}${scope}/${plural}${object.metadata.name ? `/${object.metadata.name}` : ""}`;
  }
}
