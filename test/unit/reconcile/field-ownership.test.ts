import { describe, expect, it } from "vitest";
import { FIELD_MANAGER } from "../../../operator/kube/server-side-apply.ts";
import type { KubeObject, ManagedFieldsEntry } from "../../../operator/kube/object.ts";
import { ourFields, withoutHandedOverFields } from "../../../operator/reconcile/field-ownership.ts";
import { renderSample } from "./samples.ts";

const rendered = renderSample("production.yaml").map((r) => r.object);
const validator = rendered.find(
  (o) =>
    o.kind === "ValidatingWebhookConfiguration" &&
    o.metadata.name === "istio-validator-istio-system",
) as KubeObject;
const injector = rendered.find((o) => o.kind === "MutatingWebhookConfiguration") as KubeObject;

/** fieldsV1 as the API server writes it for one webhook entry of the list. */
function webhookFields(name: string, fields: readonly string[]) {
  return {
    "f:webhooks": {
      [`k:{"name":"${name}"}`]: Object.fromEntries(fields.map((f) => [`f:${f}`, {}])),
    },
  };
}

const ours: ManagedFieldsEntry = {
  manager: FIELD_MANAGER,
  operation: "Apply",
  fieldsV1: webhookFields("rev.validation.istio.io", ["failurePolicy", "rules", "clientConfig"]),
};
const istiodTookFailurePolicy: ManagedFieldsEntry = {
  manager: "pilot-discovery",
  operation: "Update",
  fieldsV1: webhookFields("rev.validation.istio.io", ["failurePolicy"]),
};
const istiodTookCaBundle: ManagedFieldsEntry = {
  manager: "pilot-discovery",
  operation: "Update",
  fieldsV1: {
    "f:webhooks": {
      'k:{"name":"rev.validation.istio.io"}': { "f:clientConfig": { "f:caBundle": {} } },
    },
  },
};

const live = (...managedFields: ManagedFieldsEntry[]): KubeObject => ({
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "ValidatingWebhookConfiguration",
  metadata: { name: "x", managedFields },
});
const webhooks = (o: KubeObject) => o.webhooks as Record<string, unknown>[];

describe("withoutHandedOverFields", () => {
  it("starts from a validator that asks for failurePolicy Ignore", () => {
    expect(webhooks(validator).map((w) => w.failurePolicy)).toEqual(["Ignore"]);
  });

  it("strips failurePolicy from every webhook once another manager owns it", () => {
    const applied = withoutHandedOverFields(validator, live(ours, istiodTookFailurePolicy));
    expect(webhooks(applied)).toHaveLength(1);
    expect(webhooks(applied)[0]).not.toHaveProperty("failurePolicy");
    // Everything else is still sent, and the desired object is left as it was.
    const { failurePolicy, ...rest } = webhooks(validator)[0] as Record<string, unknown>;
    expect(failurePolicy).toBe("Ignore");
    expect(webhooks(applied)[0]).toEqual(rest);
    expect({ ...applied, webhooks: undefined }).toEqual({ ...validator, webhooks: undefined });
    expect(webhooks(validator)[0]?.failurePolicy).toBe("Ignore");
  });

  it("keeps failurePolicy while only we own it, or another manager owns other fields", () => {
    expect(withoutHandedOverFields(validator, live(ours))).toBe(validator);
    expect(withoutHandedOverFields(validator, live(ours, istiodTookCaBundle))).toBe(validator);
    expect(withoutHandedOverFields(validator, live())).toBe(validator);
    expect(withoutHandedOverFields(validator, { ...live(), metadata: { name: "x" } })).toBe(
      validator,
    );
  });

  it("sends everything when the object does not exist yet", () => {
    expect(withoutHandedOverFields(validator, undefined)).toBe(validator);
  });

  it("never strips anything from other kinds, the injector included", () => {
    expect(withoutHandedOverFields(injector, live(istiodTookFailurePolicy))).toBe(injector);
    expect(webhooks(injector).every((w) => w.failurePolicy === "Fail")).toBe(true);
    const deployment = rendered.find((o) => o.kind === "Deployment") as KubeObject;
    expect(withoutHandedOverFields(deployment, live(istiodTookFailurePolicy))).toBe(deployment);
  });
});

describe("ourFields", () => {
  it("is our Apply entry's fieldsV1, not the status one, an Update, or another manager's", () => {
    const mine = { "f:metadata": { "f:labels": { "f:app": {} } } };
    const object = live(
      {
        manager: FIELD_MANAGER,
        operation: "Apply",
        subresource: "status",
        fieldsV1: { "f:status": {} },
      },
      { manager: FIELD_MANAGER, operation: "Update", fieldsV1: { "f:spec": {} } },
      { manager: "kubectl", operation: "Apply", fieldsV1: { "f:data": {} } },
      { manager: FIELD_MANAGER, operation: "Apply", fieldsV1: mine },
    );
    expect(ourFields(object)).toBe(JSON.stringify(mine));
  });

  it("is null when we own nothing", () => {
    expect(ourFields(live())).toBe("null");
    expect(ourFields({ ...live(), metadata: { name: "x" } })).toBe("null");
    expect(
      ourFields(
        live({ manager: FIELD_MANAGER, operation: "Apply", subresource: "status", fieldsV1: {} }),
      ),
    ).toBe("null");
  });
});
