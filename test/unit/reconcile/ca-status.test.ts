import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../operator/kube/object.ts";
import type { CaState } from "../../../operator/reconcile/certificate-authority.ts";
import {
  CA_HASH_ANNOTATION,
  caConditions,
  caExpiry,
  withCaHash,
} from "../../../operator/reconcile/ca-status.ts";

const ready = (rootExpiringSoon: boolean): Extract<CaState, { kind: "ready" }> => ({
  kind: "ready",
  hash: "abc123",
  rootNotAfter: new Date("2030-05-01T10:00:00.500Z"),
  intermediateNotAfter: new Date("2027-05-01T10:00:00Z"),
  rootExpiringSoon,
  writes: 0,
  action: "adopted",
});

describe("caConditions", () => {
  it("is CAReady=True with both expiry days while the root is far from its end", () => {
    expect(caConditions(ready(false), undefined)).toEqual([
      {
        type: "CAReady",
        status: "True",
        reason: "Valid",
        message: "the mesh CA is valid: intermediate until 2027-05-01, root until 2030-05-01",
      },
    ]);
  });

  it("adds CACertificateExpiring=True when the root is within renewBefore", () => {
    const conditions = caConditions(ready(true), undefined);
    expect(conditions.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      "CAReady=True/Valid",
      "CACertificateExpiring=True/RootExpiringSoon",
    ]);
    expect(conditions[1]?.message).toMatch(/2030-05-01.*never rotated automatically/);
  });

  it("is CAReady=False with the CA step's reason and message when it failed", () => {
    const failed: CaState = {
      kind: "failed",
      reason: "KeyMismatch",
      message: "ca-key.pem does not belong to ca-cert.pem",
      writes: 0,
    };
    expect(caConditions(failed, undefined)).toEqual([
      {
        type: "CAReady",
        status: "False",
        reason: "KeyMismatch",
        message: "ca-key.pem does not belong to ca-cert.pem",
      },
    ]);
  });

  it("keeps the last CA conditions when the CA step did not run this time", () => {
    const previous = {
      conditions: [
        {
          type: "CAReady",
          status: "True" as const,
          reason: "Valid",
          message: "valid",
          lastTransitionTime: "2026-01-01T00:00:00Z",
          observedGeneration: 1,
        },
        {
          type: "Ready",
          status: "False" as const,
          reason: "X",
          message: "x",
          lastTransitionTime: "2026-01-01T00:00:00Z",
          observedGeneration: 1,
        },
      ],
    };
    expect(caConditions(undefined, previous)).toEqual([
      { type: "CAReady", status: "True", reason: "Valid", message: "valid" },
    ]);
  });
});

describe("caExpiry", () => {
  it("writes both dates in whole seconds", () => {
    expect(caExpiry(ready(false))).toEqual({
      rootNotAfter: "2030-05-01T10:00:00Z",
      intermediateNotAfter: "2027-05-01T10:00:00Z",
    });
  });
});

describe("withCaHash", () => {
  const deployment = (component: string): KubeObject => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: component, labels: { "app.kubernetes.io/component": component } },
    spec: { template: { metadata: { annotations: { keep: "me" } }, spec: {} } },
  });

  it("puts the hash on istiod's pod template, so a new CA rolls istiod", () => {
    const istiod = withCaHash(deployment("istiod"), "abc123");
    expect(
      (istiod.spec as { template: { metadata: { annotations: Record<string, string> } } }).template
        .metadata.annotations,
    ).toEqual({ keep: "me", [CA_HASH_ANNOTATION]: "abc123" });
  });

  it("leaves every other object as it is", () => {
    const gateway = deployment("gateway");
    expect(withCaHash(gateway, "abc123")).toBe(gateway);
  });
});
