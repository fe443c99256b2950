/**
 * `meshkeeper status` as a process against the shared API server: the table, and with
 * `-o json` / `-o yaml` the MeshConfig exactly as the API server returns it, with the
 * readiness exit code either way (3 here: no operator runs, so nothing is Ready).
 */
import { ApiException } from "@kubernetes/client-node";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import { customObjects, installMeshConfigCrd, target } from "./meshconfig-client.ts";

const MAIN = new URL("../../operator/cli/main.ts", import.meta.url).pathname;
let created = false;

async function status(...args: string[]) {
  const kubeconfig = inject("cluster").kubeconfig;
  const command = [MAIN, "status", "--kubeconfig", kubeconfig, ...args];
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, command, {
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

async function current(): Promise<Record<string, unknown>> {
  return (await customObjects.getClusterCustomObject({ ...target, name: "default" })) as Record<
    string,
    unknown
  >;
}

beforeAll(async () => {
  await installMeshConfigCrd();
  try {
    await current();
  } catch (error) {
    if (!(error instanceof ApiException) || error.code !== 404) throw error;
    const body = {
      apiVersion: "meshkeeper.dev/v1alpha1",
      kind: "MeshConfig",
      metadata: { name: "default" },
      spec: { version: "1.31.1" },
    };
    await customObjects.createClusterCustomObject({ ...target, body });
    created = true;
  }
});

afterAll(async () => {
  if (created) await customObjects.deleteClusterCustomObject({ ...target, name: "default" });
});

describe("meshkeeper status against a real API server", () => {
  it("-o json and -o yaml print the MeshConfig as stored, with the readiness exit code", async () => {
    const stored = await current();
    const metadata = stored.metadata as { uid: string };
    for (const [format, read] of [
      ["json", (text: string) => JSON.parse(text) as unknown],
      ["yaml", (text: string) => parse(text) as unknown],
    ] as const) {
      const run = await status("-o", format);
      expect(run.stderr).toBe("");
      const printed = read(run.stdout) as Record<string, unknown>;
      // No operator runs here, so nothing changes it in between: the very object stored.
      expect(printed).toEqual(stored);
      expect(printed).toMatchObject({ kind: "MeshConfig", metadata: { uid: metadata.uid } });
      const ready = (
        stored.status as { conditions?: { type: string; status: string }[] } | undefined
      )?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
      expect(run.code).toBe(ready ? 0 : 3);
    }
  });

  it("prints the table by default, and refuses an unknown format before asking the server", async () => {
    const table = await status();
    expect([0, 3]).toContain(table.code);
    expect(table.stdout).toMatch(/^MeshConfig default/m);
    const bad = await status("-o", "wide");
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr.split("\n")[0]).toBe(
      "meshkeeper status: -o wide: use one of table, yaml, json",
    );
  });
});
