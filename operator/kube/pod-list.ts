/**
 * The injected pods of the whole cluster, by a paged, label-selected LIST (not a watch:
 * the operator needs counts a few times a minute, not every pod event, and a cache of
 * every injected pod would cost memory in proportion to the cluster). Pages of 500, as
 * kubectl and client-go's pager do; an expired continue token (410 Gone, the pages
 * outlived etcd's compaction) starts the list again once, then gives up.
 * Only what the data-plane counts read is kept of each pod.
 */
import { isGone } from "./errors.ts";
import type { KubeObject, ListedObject } from "./object.ts";
import type { RestClient } from "./rest-client.ts";

export const POD_PAGE_SIZE = 500;

/** What the reconciler needs: the injected pods, listed now. */
export interface InjectedPods {
  list(): Promise<KubeObject[]>;
}

interface PodList {
  metadata?: { continue?: string };
  items?: ListedObject[];
}

interface Container {
  name?: string;
  image?: string;
}

const KEPT_ANNOTATIONS = ["sidecar.istio.io/status", "istio.io/rev"];

/** The fields data-plane.ts reads: revision annotations, proxy images, phase. */
export function slimPod(pod: ListedObject): KubeObject {
  const { name, namespace, annotations, labels, deletionTimestamp, ownerReferences } = pod.metadata;
  const spec = (pod["spec"] ?? {}) as { containers?: Container[]; initContainers?: Container[] };
  const slim = (list: Container[] | undefined) =>
    (list ?? []).map(({ name: n, image }) => ({ name: n, image }));
  const kept = Object.fromEntries(
    KEPT_ANNOTATIONS.flatMap((key) =>
      annotations?.[key] === undefined ? [] : [[key, annotations[key]]],
    ),
  );
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      annotations: kept,
      ...(labels ? { labels } : {}),
      ...(deletionTimestamp ? { deletionTimestamp } : {}),
      ...(ownerReferences ? { ownerReferences } : {}),
    },
    spec: { containers: slim(spec.containers), initContainers: slim(spec.initContainers) },
    status: { phase: (pod["status"] as { phase?: string } | undefined)?.phase },
  };
}

export class PodLister implements InjectedPods {
  private readonly client: RestClient;
  private readonly labelSelector: string;
  private readonly pageSize: number;

  constructor(client: RestClient, labelSelector: string, pageSize = POD_PAGE_SIZE) {
    this.client = client;
    this.labelSelector = labelSelector;
    this.pageSize = pageSize;
  }

  async list(): Promise<KubeObject[]> {
    try {
      return await this.listPages();
    } catch (error) {
      if (!isGone(error)) throw error;
      return this.listPages();
    }
  }

  private async listPages(): Promise<KubeObject[]> {
    const pods: KubeObject[] = [];
    let token: string | undefined;
    do {
      const page: PodList = await this.client.send<PodList>({
        method: "GET",
        path: "/api/v1/pods",
        query: {
          labelSelector: this.labelSelector,
          limit: String(this.pageSize),
          ...(token ? { continue: token } : {}),
        },
      });
      for (const item of page.items ?? []) pods.push(slimPod(item));
      token = page.metadata?.continue || undefined;
    } while (token);
    return pods;
  }
}
