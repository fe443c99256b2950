import { KubeConfig, loadAllYaml } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import * as args from "../../../operator/local/component-args.ts";
import {
  kubeconfig,
  makeIdentities,
  serviceAccountKeyPair,
  tokenFile,
} from "../../../operator/local/credentials.ts";
import {
  KWOK_NODE_LABEL,
  kwokConfiguration,
  podLatencyFromEnv,
} from "../../../operator/local/kwok-stages.ts";
import { layoutOf, type Ports } from "../../../operator/local/layout.ts";

const layout = layoutOf("/work/cluster");
const ports: Ports = {
  etcdClient: 2379,
  etcdPeer: 2380,
  apiserver: 6443,
  controllerManager: 10257,
  scheduler: 10259,
  kwok: 10247,
};

describe("component command lines", () => {
  const everything = [
    args.etcdArgs(layout, ports),
    args.apiserverArgs(layout, ports),
    args.controllerManagerArgs(layout, ports),
    args.schedulerArgs(layout, ports),
    args.kwokArgs(layout, ports, KWOK_NODE_LABEL),
  ].flat();

  it("listens on loopback only", () => {
    const addresses = everything.filter((arg) => /(bind|listen|server)-address|-urls=/.test(arg));
    expect(addresses.length).toBeGreaterThan(0);
    for (const arg of addresses) expect(arg).toMatch(/127\.0\.0\.1/);
  });

  it("runs the API server with RBAC, token authentication and no anonymous access", () => {
    const apiserver = args.apiserverArgs(layout, ports);
    expect(apiserver).toContain("--authorization-mode=Node,RBAC");
    expect(apiserver).toContain("--anonymous-auth=false");
    expect(apiserver).toContain(`--token-auth-file=${layout.tokens}`);
    expect(apiserver).toContain(`--service-account-signing-key-file=${layout.serviceAccountKey}`);
    expect(apiserver).toContain("--etcd-servers=http://127.0.0.1:2379");
  });
});

describe("credentials", () => {
  it("gives every component its own token and the admin system:masters", () => {
    const ids = makeIdentities();
    const lines = tokenFile(ids).trim().split("\n");
    expect(lines).toHaveLength(4);
    expect(new Set(lines.map((line) => line.split(",")[0])).size).toBe(4);
    expect(lines).toContain(
      `${ids.admin.token},meshkeeper-admin,meshkeeper-admin,"system:masters"`,
    );
    expect(lines).toContain(
      `${ids.scheduler.token},system:kube-scheduler,system:kube-scheduler,""`,
    );
  });

  it("writes a kubeconfig that client-node loads", () => {
    const ids = makeIdentities();
    const config = new KubeConfig();
    config.loadFromString(kubeconfig("https://127.0.0.1:6443", "PEM", ids.admin));
    expect(config.getCurrentCluster()?.server).toBe("https://127.0.0.1:6443");
    expect(config.getCurrentUser()?.token).toBe(ids.admin.token);
    expect(Buffer.from(config.getCurrentCluster()?.caData ?? "", "base64").toString()).toBe("PEM");
  });

  it("makes an ES256 service account signing key", () => {
    const keys = serviceAccountKeyPair();
    expect(keys.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(keys.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });
});

describe("KWOK configuration", () => {
  it("is three Stages: node ready, pod running, pod gone", () => {
    const docs = loadAllYaml(kwokConfiguration()) as { kind: string; metadata: { name: string } }[];
    expect(docs.map((doc) => doc.kind)).toEqual(["Stage", "Stage", "Stage"]);
    expect(docs.map((doc) => doc.metadata.name)).toEqual([
      "meshkeeper-node-ready",
      "meshkeeper-pod-running",
      "meshkeeper-pod-gone",
    ]);
  });

  interface StageDoc {
    metadata: { name: string };
    spec: {
      delay?: { durationMilliseconds?: number; jitterDurationMilliseconds?: number };
      next: { statusTemplate?: string };
    };
  }

  it("with a pod latency, takes pods to Running (not Ready) and then to Ready, each after its delay", () => {
    const docs = loadAllYaml(
      kwokConfiguration({ startMs: 1500, readyMs: 2500, jitterMs: 500 }),
    ) as StageDoc[];
    expect(docs.map((doc) => doc.metadata.name)).toEqual([
      "meshkeeper-node-ready",
      "meshkeeper-pod-started",
      "meshkeeper-pod-ready",
      "meshkeeper-pod-gone",
    ]);
    const [, started, ready] = docs;
    // KWOK's jitter is the upper end of the interval the delay is drawn from.
    expect(started?.spec.delay).toEqual({
      durationMilliseconds: 1500,
      jitterDurationMilliseconds: 2000,
    });
    expect(ready?.spec.delay).toEqual({
      durationMilliseconds: 2500,
      jitterDurationMilliseconds: 3000,
    });
    expect(started?.spec.next.statusTemplate).toMatch(/type: Ready, status: "False"/);
    expect(ready?.spec.next.statusTemplate).toMatch(/type: Ready, status: "True"/);
  });

  it("reads the latency from the environment, refusing what is not a whole number", () => {
    expect(podLatencyFromEnv({})).toEqual({ startMs: 0, readyMs: 0, jitterMs: 0 });
    expect(
      podLatencyFromEnv({ MESHKEEPER_POD_START_MS: "800", MESHKEEPER_POD_READY_MS: "1200" }),
    ).toEqual({ startMs: 800, readyMs: 1200, jitterMs: 0 });
    expect(() => podLatencyFromEnv({ MESHKEEPER_POD_READY_MS: "2s" })).toThrow(
      /MESHKEEPER_POD_READY_MS must be a whole number of milliseconds/,
    );
  });
});
