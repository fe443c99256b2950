import { describe, expect, it } from "vitest";
import {
  createLogger,
  describeObject,
  newReconcileId,
  reconcileLogger,
} from "../../../operator/runtime/logger.ts";

function capture(level?: string) {
  const lines: string[] = [];
  const log = createLogger({
    ...(level ? { level } : {}),
    destination: { write: (line: string) => lines.push(line) },
  });
  return { log, lines, records: () => lines.map((line) => JSON.parse(line)) };
}

const KEY_MATERIAL = "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tc2VjcmV0";
const secret = {
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "cacerts", namespace: "istio-system" },
  data: { "ca-key.pem": KEY_MATERIAL },
  stringData: { "ca-key.pem": KEY_MATERIAL },
};

describe("logger", () => {
  it("writes JSON lines with the operator's name, a level name and an ISO time", () => {
    const { log, records } = capture();
    log.info({ managedObjects: 47 }, "reconciled");
    const [record] = records();
    expect(record).toMatchObject({ name: "meshkeeper", level: "info", managedObjects: 47 });
    expect(record.msg).toBe("reconciled");
    expect(new Date(record.time).toISOString()).toBe(record.time);
  });

  it("respects the level", () => {
    const { log, lines } = capture("warn");
    log.info("hidden");
    log.warn("shown");
    expect(lines).toHaveLength(1);
  });

  it("tags every line of a reconcile with its id, key and trigger", () => {
    const { log, records } = capture();
    const reconcile = reconcileLogger(log, { key: "default", trigger: "watch:Deployment" });
    reconcile.info("start");
    reconcile.child({ phase: "apply" }).info("applied");
    const [first, second] = records();
    expect(first.reconcileId).toMatch(/^[0-9a-f]{8}$/);
    expect(second).toMatchObject({
      reconcileId: first.reconcileId,
      key: "default",
      trigger: "watch:Deployment",
      phase: "apply",
    });
  });

  it("never writes a secret's data, however it is passed", () => {
    const { log, lines } = capture();
    log.info(secret, "as the merge object");
    log.info({ secret }, "as a field");
    log.info({ object: secret }, "as the object");
    log.error({ err: { body: secret } }, "inside an error body");
    log.info({ objects: [secret] }, "in a list");
    log.child({ secret }).info("in child bindings");
    log.info({ files: { "ca-key.pem": KEY_MATERIAL } }, "as a file map");

    expect(lines).toHaveLength(7);
    const output = lines.join("");
    expect(output).not.toContain(KEY_MATERIAL);
    expect(output).toContain("[Redacted]");
    expect(output).toContain("cacerts");
  });

  it("reduces an object to its identity", () => {
    expect(describeObject(secret)).toEqual({
      kind: "Secret",
      namespace: "istio-system",
      name: "cacerts",
    });
    expect(describeObject({ kind: "MeshConfig", metadata: { name: "default" } })).toEqual({
      kind: "MeshConfig",
      name: "default",
    });
  });

  it("makes short, distinct reconcile ids", () => {
    const ids = new Set(Array.from({ length: 100 }, newReconcileId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}$/);
  });
});
