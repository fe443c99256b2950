/**
 * How the reconciler names an object: group, kind, namespace and name. The version is left
 * out on purpose: the same Deployment served as apps/v1 or a later version is one object.
 */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash === -1 ? "" : apiVersion.slice(0, slash);
}

/** `Kind.group`, or just `Kind` for the core group: the ApplySet group-kind notation. */
export function groupKind(apiVersion: string, kind: string): string {
  const group = groupOf(apiVersion);
  return group ? `${kind}.${group}` : kind;
}

export function identity(object: ObjectRef): string {
  const { namespace = "", name } = object.metadata;
  return `${groupKind(object.apiVersion, object.kind)}/${namespace}/${name}`;
}

/** For messages: `Deployment istio-system/istiod`. */
export function describe(object: ObjectRef): string {
  const { namespace, name } = object.metadata;
  return `${object.kind} ${namespace ? `${namespace}/` : ""}${name}`;
}
