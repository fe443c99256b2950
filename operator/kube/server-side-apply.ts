/**
 * Server-side apply with the field manager `meshkeeper`: the API server merges our fields,
 * records us as their owner, and reports conflicts with fields another manager owns.
 * Not forced unless the caller says so. The reconciler does force (reconcile/applier.ts),
 * and that is safe only because it never sends a field another owner holds (an HPA's
 * replicas, istiod's caBundle and failurePolicy: reconcile/field-ownership.ts).
 */
import type { Discovery } from "./discovery.ts";
import { isNotFound, unlessNotFound } from "./errors.ts";
import type { ObjectWriter, WriteOptions } from "./interfaces.ts";
import type { KubeObject, ObjectRef } from "./object.ts";
import type { RestClient } from "./rest-client.ts";

export const FIELD_MANAGER = "meshkeeper";

/** What server-side apply sends and answers: the one object type (object.ts). */
export type ApplyTarget = KubeObject;

export type ApplyOptions = WriteOptions;

export class ServerSideApply implements ObjectWriter {
  private readonly client: RestClient;
  private readonly discovery: Discovery;

  constructor(client: RestClient, discovery: Discovery) {
    this.client = client;
    this.discovery = discovery;
  }

  async apply<T = ApplyTarget>(object: ApplyTarget, options: ApplyOptions = {}): Promise<T> {
    const path = await this.discovery.pathOf(object);
    return this.client.send<T>({
      method: "PATCH",
      path: options.subresource ? `${path}/${options.subresource}` : path,
      contentType: "application/apply-patch+yaml",
      body: object,
      query: {
        fieldManager: FIELD_MANAGER,
        ...(options.force ? { force: "true" } : {}),
        ...(options.dryRun ? { dryRun: "All" } : {}),
      },
    });
  }

  /**
   * A merge patch as an Update by our manager: for the rare write that must not become part
   * of what we apply (the API server tracks it apart from our Apply entry).
   */
  async mergePatch<T = ApplyTarget>(object: ObjectRef, patch: unknown): Promise<T> {
    return this.client.send<T>({
      method: "PATCH",
      path: await this.discovery.pathOf(object),
      contentType: "application/merge-patch+json",
      body: patch,
      query: { fieldManager: FIELD_MANAGER },
    });
  }

  /** Create-if-absent: a 409 (AlreadyExists) is the caller's to handle, never an overwrite. */
  async create<T = ApplyTarget>(object: ApplyTarget): Promise<T> {
    const { namespace } = object.metadata;
    const collection = { ...object, metadata: namespace ? { namespace } : {} };
    return this.client.send<T>({
      method: "POST",
      path: await this.discovery.pathOf(collection),
      body: object,
      query: { fieldManager: FIELD_MANAGER },
    });
  }

  /** Update with the object's resourceVersion: a 409 means someone changed it meanwhile. */
  async replace<T = ApplyTarget>(object: ApplyTarget): Promise<T> {
    return this.client.send<T>({
      method: "PUT",
      path: await this.discovery.pathOf(object),
      body: object,
      query: { fieldManager: FIELD_MANAGER },
    });
  }

  async get<T = ApplyTarget>(object: ObjectRef): Promise<T | undefined> {
    const path = await this.discovery.pathOf(object);
    return unlessNotFound(this.client.send<T>({ method: "GET", path }));
  }

  async delete(object: ObjectRef): Promise<boolean> {
    try {
      await this.client.send({
        method: "DELETE",
        path: await this.discovery.pathOf(object),
        body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" },
      });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }
}
