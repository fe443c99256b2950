/**
 * The one shape of a Kubernetes object in the operator: what the renderer produces, what
 * server-side apply sends, what the caches hold and what the reconciler reads. Objects
 * travel as plain JSON (rest-client.ts), so the type names the fields the code reads and
 * lets every other field through untouched.
 */

/** A field set as the API server records it (metav1.ManagedFieldsEntry). */
export interface ManagedFieldsEntry {
  readonly manager?: string;
  readonly operation?: string;
  readonly subresource?: string;
  readonly fieldsV1?: unknown;
}

export interface OwnerReference {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly uid?: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: ManagedFieldsEntry[];
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** An object as a list returns its items: without apiVersion and kind (the list has them). */
export interface ListedObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** A kind, as discovery and the watches name it. */
export interface KindRef {
  readonly apiVersion: string;
  readonly kind: string;
}

/** What names one object: enough to GET, apply or delete it. */
export interface ObjectRef extends KindRef {
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

/** A status condition as Kubernetes objects carry it (Deployments, CRDs, MeshConfigs). */
export interface ObjectCondition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: string;
}

/** The object's status.conditions, or none when it has no (well-formed) status. */
export function conditionsOf(
  object: { readonly [field: string]: unknown } | undefined,
): readonly ObjectCondition[] {
  const conditions = (object?.["status"] as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(conditions) ? (conditions as ObjectCondition[]) : [];
}

/** True when the object has a condition of this type with status "True". */
export function hasTrueCondition(
  object: { readonly [field: string]: unknown } | undefined,
  type: string,
): boolean {
  return conditionsOf(object).some((c) => c.type === type && c.status === "True");
}

/** The reference alone, whatever else the object carries. */
export function refOf(object: ObjectRef): ObjectRef {
  const { name, namespace } = object.metadata;
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: namespace ? { name, namespace } : { name },
  };
}
