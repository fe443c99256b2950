import { describe, expect, it } from "vitest";
import type { MeshConfigObject } from "../../../operator/reconcile/mesh-config-object.ts";
import { WrittenStatus } from "../../../operator/reconcile/written-status.ts";

const at = (resourceVersion: string, observedGeneration: number) =>
  ({
    apiVersion: "meshkeeper.dev/v1alpha1",
    kind: "MeshConfig",
    metadata: { name: "default", uid: "u1", resourceVersion },
    status: { observedGeneration },
  }) as MeshConfigObject;

describe("WrittenStatus", () => {
  const written = new WrittenStatus();
  written.wrote(at("10", 1), { observedGeneration: 2 });

  it("answers what we wrote while the cache holds the version our write replaced", () => {
    expect(written.storedFor(at("10", 1))).toEqual({ observedGeneration: 2 });
  });

  it("answers the cache once it moved on (our write, or anyone's after it)", () => {
    expect(written.storedFor(at("11", 2))).toEqual({ observedGeneration: 2 });
    expect(written.storedFor(at("12", 3))).toEqual({ observedGeneration: 3 });
  });

  it("answers the cache for another MeshConfig", () => {
    const other = { ...at("10", 5), metadata: { name: "b", uid: "u2", resourceVersion: "10" } };
    expect(written.storedFor(other as MeshConfigObject)).toEqual({ observedGeneration: 5 });
  });
});
