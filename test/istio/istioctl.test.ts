/**
 * istioctl works on a Meshkeeper mesh. The operator converges the tests' mesh on the local
 * control plane; a real istiod runs beside it the way `npm run demo -- --istiod` runs one
 * (background-istiod.ts: a detached supervisor, the Deployment's args and env, istiod's own
 * ServiceAccount); then Istio's own istioctl, built from the same module, is run as a user
 * runs it, and its exit codes and output are checked.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { validateSpec } from "../../operator/api/validate.ts";
import {
  readIstiodState,
  startBackgroundIstiod,
  stopBackgroundIstiod,
  type IstiodState,
} from "../../operator/local/background-istiod.ts";
import { isAlive } from "../../operator/local/pids.ts";
import { mesh } from "../fixtures/test-mesh.ts";
import { convergeMesh, type RealMesh } from "./real-istio.ts";
import { generateUpstreamInjection } from "./upstream-reference.ts";

const runFile = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

let real: RealMesh;
let state: IstiodState;
const stateDir = mkdtempSync(join(tmpdir(), "meshkeeper-istioctl-"));
const istiodEnv = { ...process.env, MESHKEEPER_STATE_DIR: stateDir };

async function istioctl(...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await runFile(inject("istio").istioctl, args, {
      env: { ...process.env, KUBECONFIG: inject("cluster").kubeconfig },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 90_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

const show = (o: Outcome) => `exit ${o.code}\n--- stdout\n${o.stdout}\n--- stderr\n${o.stderr}`;

/** analyze's and precheck's message lines: `Warning [IST0101] (VirtualService ns/name) ...`. */
function messages(output: string): string[] {
  return output.split("\n").filter((line) => /^(Error|Warning|Info)\s+\[IST\d{4}\]/.test(line));
}

beforeAll(async () => {
  real = await convergeMesh();
  const started = await startBackgroundIstiod({
    kubeconfig: inject("cluster").kubeconfig,
    binary: inject("istio").pilotDiscovery,
    env: istiodEnv,
  });
  state = started.state;
}, 300_000);

afterAll(async () => {
  await stopBackgroundIstiod(istiodEnv);
  await real.stop();
}, 180_000);

describe("istioctl on a Meshkeeper mesh", () => {
  it("analyze -A reports nothing about what the operator installed", async () => {
    const outcome = await istioctl("analyze", "-A");
    // The local API server calls no admission webhooks, so the gateway pods keep the
    // `image: auto` placeholder their Deployments ask the injector to replace (IST0147 on
    // Pods; their Deployments do match our webhooks, or IST0147 would name them too).
    // Namespaces without an injection label get an Info (IST0102): the user's choice.
    const kwokOnly =
      /^Error\s+\[IST0147\] \(Pod istio-(ingress|egress)\/istio-(ingress|egress)gateway-/;
    const userChoice = /^Info\s+\[IST0102\] \(Namespace [a-z0-9-]+\)/;
    const ours = messages(outcome.stdout + outcome.stderr).filter(
      (line) => !kwokOnly.test(line) && !userChoice.test(line),
    );
    expect(ours, show(outcome)).toEqual([]);
    // With those two set aside as a person would (--suppress), analyze passes.
    const suppressed = await istioctl(
      "analyze",
      "-A",
      "--suppress",
      "IST0147=Pod *",
      "--suppress",
      "IST0102=Namespace *",
    );
    expect(suppressed.code, show(suppressed)).toBe(0);
    expect(suppressed.stdout + suppressed.stderr, show(suppressed)).toMatch(
      /No validation issues found when analyzing all namespaces/,
    );
  });

  it("analyze still finds a real problem (it is analysing, not silent)", async () => {
    const dir = mkdtempSync(join(stateDir, "broken-"));
    const file = join(dir, "vs.yaml");
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "points-nowhere", namespace: "istio-ingress" },
        spec: {
          hosts: ["example.com"],
          gateways: ["no-such-gateway"],
          http: [{ route: [{ destination: { host: "no-such-service" } }] }],
        },
      }),
    );
    const outcome = await istioctl("analyze", "-A", "--use-kube=true", file);
    expect(outcome.code, show(outcome)).not.toBe(0);
    expect(messages(outcome.stdout + outcome.stderr).join("\n"), show(outcome)).toMatch(
      /IST0101.*VirtualService istio-ingress\/points-nowhere/,
    );
  });

  it("x precheck finds nothing in the way", async () => {
    const outcome = await istioctl("x", "precheck");
    expect(outcome.code, show(outcome)).toBe(0);
    expect(messages(outcome.stdout), show(outcome)).toEqual([]);
    expect(outcome.stderr, show(outcome)).toMatch(/No issues found when checking the cluster/);
  });

  it("tag list shows the default revision", async () => {
    const outcome = await istioctl("tag", "list", "-o", "json");
    expect(outcome.code, show(outcome)).toBe(0);
    const tags = JSON.parse(outcome.stdout) as { tag: string; revision: string }[];
    expect(
      tags.map((t) => t.revision),
      show(outcome),
    ).toContain("default");
  });

  it("x injector list shows our injector and the namespaces it injects", async () => {
    const outcome = await istioctl("x", "injector", "list");
    expect(outcome.code, show(outcome)).toBe(0);
    expect(outcome.stdout, show(outcome)).toMatch(/istio-sidecar-injector/);
    expect(outcome.stdout, show(outcome)).toMatch(/NAMESPACES/);
  });

  it("proxy-status over xDS is answered by the real istiod", async () => {
    const xds = ["--xds-address", `127.0.0.1:${state.ports.grpc}`, "--plaintext"];
    const status = await istioctl("x", "proxy-status", ...xds);
    // istiod itself answers: its debug xDS wants a credential istioctl's plaintext mode
    // does not send, and says so (a gRPC status only a live istiod can give).
    expect(status.stderr, show(status)).toMatch(/Unauthenticated desc = authentication required/);
    const unreachable = await istioctl(
      "x",
      "proxy-status",
      "--xds-address",
      "127.0.0.1:1",
      "--plaintext",
      "--timeout",
      "3s",
    );
    expect(unreachable.code, show(unreachable)).not.toBe(0);
    expect(unreachable.stderr, show(unreachable)).not.toMatch(/Unauthenticated/);
  });

  it("kube-inject renders our templates with our values, as read from the cluster", async () => {
    const dir = mkdtempSync(join(stateDir, "inject-"));
    // The webhook path port-forwards to istiod's pod, which KWOK only simulates, so
    // kube-inject gets the ConfigMaps' own contents as files (its offline mode).
    const configMap = async (name: string) =>
      (
        await real.admin.send<{ data: Record<string, string> }>({
          method: "GET",
          path: `/api/v1/namespaces/istio-system/configmaps/${name}`,
        })
      ).data;
    const injector = await configMap("istio-sidecar-injector");
    const meshConfig = await configMap("istio");
    const files = {
      inject: join(dir, "inject.yaml"),
      values: join(dir, "values.json"),
      mesh: join(dir, "mesh.yaml"),
    };
    writeFileSync(files.inject, injector.config ?? "");
    writeFileSync(files.values, injector.values ?? "");
    writeFileSync(files.mesh, meshConfig.mesh ?? "");
    const file = join(dir, "pod.yaml");
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "app", namespace: "default", labels: { app: "app" } },
        spec: { containers: [{ name: "app", image: "example/app:1" }] },
      }),
    );
    const outcome = await istioctl(
      "kube-inject",
      "-f",
      file,
      "--injectConfigFile",
      files.inject,
      "--valuesFile",
      files.values,
      "--meshConfigFile",
      files.mesh,
    );
    expect(outcome.code, show(outcome)).toBe(0);
    expect(outcome.stdout, show(outcome)).toMatch(/name: istio-proxy/);
    expect(outcome.stdout, show(outcome)).toMatch(/image: docker.io\/istio\/proxyv2:1\.31\.1/);
  });
});

describe("the injector's values", () => {
  it("have every key Istio's own chart writes, with the values it writes for the same settings", async () => {
    const result = validateSpec(mesh().spec);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const generated = await generateUpstreamInjection(inject("istio").istioctl, result.spec);
    const upstream = JSON.parse(generated.values) as Record<string, unknown>;
    const cm = await real.admin.send<{ data: { values: string } }>({
      method: "GET",
      path: "/api/v1/namespaces/istio-system/configmaps/istio-sidecar-injector",
    });
    const ours = JSON.parse(cm.data.values) as Record<string, unknown>;
    expect(leaves(ours)).toEqual(leaves(upstream));
  });
});

/** path=value for every leaf, so a difference names its key. */
function leaves(value: unknown, prefix = ""): string[] {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return [`${prefix}={}`];
    return entries.flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k)).sort();
  }
  return [`${prefix}=${JSON.stringify(value)}`];
}

describe("the demo's background istiod (npm run demo -- --istiod)", () => {
  it("is found again by a second start, and stops with its supervisor", async () => {
    const again = await startBackgroundIstiod({
      kubeconfig: inject("cluster").kubeconfig,
      binary: inject("istio").pilotDiscovery,
      env: istiodEnv,
    });
    expect(again.started).toBe(false);
    expect(state.version).toMatch(/^1\.31\./);
    expect(again.state.ports).toEqual(state.ports);
    expect(isAlive(state.supervisorPid)).toBe(true);
    expect(await stopBackgroundIstiod(istiodEnv)).toBe(true);
    expect(isAlive(state.supervisorPid)).toBe(false);
    expect(readIstiodState(istiodEnv)).toBeUndefined();
    const refused = await fetch(`http://127.0.0.1:${state.ports.http}/ready`).catch(
      () => undefined,
    );
    expect(refused, "istiod still answers after stop").toBeUndefined();
  });
});
