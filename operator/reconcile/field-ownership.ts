/**
 * Fields the operator hands over once another manager has taken them (DESIGN.md, Ownership
 * of fields). The templates already leave out what is never ours (webhook caBundle, replicas
 * under an HPA). The validator's failurePolicy is ours only until istiod takes it: we create
 * the webhook with Ignore so a not-yet-serving istiod blocks nothing, istiod switches it to
 * Fail once it serves, and from then on we must stop sending it or server-side apply would
 * report a conflict on every reconcile.
 */
import { FIELD_MANAGER } from "../kube/server-side-apply.ts";
import type { KubeObject, ManagedFieldsEntry } from "../kube/object.ts";

type Entries = readonly ManagedFieldsEntry[];

/** True when a manager other than ours owns `field` somewhere in the object. */
function ownedByAnother(entries: Entries, field: string): boolean {
  return entries.some(
    (entry) =>
      entry.manager !== FIELD_MANAGER &&
      JSON.stringify(entry.fieldsV1 ?? {}).includes(`"f:${field}"`),
  );
}

/** The object to apply: the desired one minus the fields another manager has taken over. */
export function withoutHandedOverFields(
  desired: KubeObject,
  live: KubeObject | undefined,
): KubeObject {
  return live ? handedOverIn(desired, live.metadata.managedFields ?? []) : desired;
}

/** withoutHandedOverFields against a live object's managedFields. */
export function handedOverIn(desired: KubeObject, entries: Entries): KubeObject {
  if (desired.kind !== "ValidatingWebhookConfiguration") return desired;
  if (!ownedByAnother(entries, "failurePolicy")) return desired;
  const webhooks = (desired.webhooks as Record<string, unknown>[] | undefined) ?? [];
  return {
    ...desired,
    webhooks: webhooks.map((webhook) =>
      Object.fromEntries(Object.entries(webhook).filter(([field]) => field !== "failurePolicy")),
    ),
  };
}

/** Our own Apply entry (not the status one): what the API server says we own. */
export function ourFields(live: KubeObject): string {
  return ourFieldsIn(live.metadata.managedFields ?? []);
}

/** ourFields of a live object's managedFields. */
export function ourFieldsIn(entries: Entries): string {
  const entry = entries.find(
    (e) => e.manager === FIELD_MANAGER && e.operation === "Apply" && !e.subresource,
  );
  return canonicalJson(entry?.fieldsV1 ?? null);
}

/**
 * JSON with sorted keys: the API server may store the same field set with its keys in
 * another order (it re-encodes managedFields when another manager writes, e.g. an HPA
 * scaling), which must not look like a change.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
