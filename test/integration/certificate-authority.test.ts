/**
 * The mesh CA against the real API server: never a second root (races, crashes mid-way),
 * adoption of an existing CA without rewriting it, renewal under the same root, the user's
 * Secret validated and never written, and no key material in anything the operator says.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Discovery } from "../../operator/kube/discovery.ts";
import { RestClient } from "../../operator/kube/rest-client.ts";
import { ServerSideApply, type ApplyTarget } from "../../operator/kube/server-side-apply.ts";
import { CertificateAuthority } from "../../operator/reconcile/certificate-authority.ts";
import { validateSpec } from "../../operator/api/validate.ts";
import type { MeshConfigSpec } from "../../operator/api/mesh-config-spec.ts";
import { createLogger } from "../../operator/runtime/logger.ts";
import { DAY, HOUR, issueWorkloadLeaf, secretData, testCa } from "../fixtures/pki/test-ca.ts";
import { mesh } from "../fixtures/test-mesh.ts";
import { adminConfig, uniqueName } from "./cluster-client.ts";
import { installMeshConfigCrd } from "./meshconfig-client.ts";
import { OperatorHarness } from "./operator-harness.ts";

const admin = new RestClient(adminConfig());
const ssa = new ServerSideApply(admin, new Discovery(admin));
const namespaces: string[] = [];

function spec(extra: Record<string, unknown> = {}): MeshConfigSpec {
  const result = validateSpec({ version: "1.31.1", ...extra });
  if (!result.ok) throw new Error("bad test spec");
  return result.spec;
}

async function freshNamespace(): Promise<string> {
  const name = uniqueName("ca");
  await ssa.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  namespaces.push(name);
  return name;
}

type Secret = ApplyTarget & {
  data?: Record<string, string>;
  metadata: { resourceVersion: string; uid: string };
};
const secret = (namespace: string, name: string) =>
  ssa.get<Secret>({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace } });
const text = (s: Secret | undefined, key: string) =>
  Buffer.from(s?.data?.[key] ?? "", "base64").toString("utf8");

const CHILD = new URL("../fixtures/pki/ca-creation-child.ts", import.meta.url).pathname;

/** Runs the CA step in its own process and SIGKILLs it `delayMs` after it starts. */
async function killDuringCreation(namespace: string, delayMs: number): Promise<string> {
  const child = spawn(process.execPath, [CHILD, inject("cluster").kubeconfig, namespace], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) =>
    child.on("exit", () => {
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("start")) resolve();
    });
    child.on("exit", (code) => {
      reject(new Error(`the CA child exited (${code}) before it started`));
    });
  });
  await sleep(delayMs);
  child.kill("SIGKILL");
  await exited;
  return output.includes("done") ? "finished before the kill" : `killed after ${delayMs} ms`;
}

afterAll(async () => {
  for (const name of namespaces)
    await ssa.delete({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  admin.close();
});

describe("the generated CA", () => {
  it("is created once: two replicas racing, 10 times, leave exactly one root", async () => {
    for (let round = 0; round < 10; round += 1) {
      const namespace = await freshNamespace();
      const replicas = [new CertificateAuthority(ssa), new CertificateAuthority(ssa)];
      // A replica that lost the race reports it and adopts the winner's CA on its next run.
      await Promise.all(replicas.map((ca) => ca.ensure(spec(), namespace, new Date())));
      const states = await Promise.all(
        replicas.map((ca) => ca.ensure(spec(), namespace, new Date())),
      );
      const [cacerts, root] = await Promise.all([
        secret(namespace, "cacerts"),
        secret(namespace, "meshkeeper-root-ca"),
      ]);
      expect(text(cacerts, "root-cert.pem").trim()).toBe(text(root, "root-cert.pem").trim());
      expect(states.map((s) => s.kind)).toEqual(["ready", "ready"]);
      expect(new Set(states.map((s) => (s.kind === "ready" ? s.hash : ""))).size).toBe(1);
    }
  });

  it("survives the process being killed at any point of creation (20 times) with exactly one root", async () => {
    const seen = new Map<string, number>();
    for (let round = 0; round < 20; round += 1) {
      const namespace = await freshNamespace();
      // Kill points spread over the creation window: before the root, between the root
      // and cacerts, after both (ECDSA keys take milliseconds, each create a few more).
      const after = await killDuringCreation(namespace, round * 4);
      const [cacertsAfter, rootAfter] = await Promise.all([
        secret(namespace, "cacerts"),
        secret(namespace, "meshkeeper-root-ca"),
      ]);
      // What the crash left behind; the delay is for the failure message only.
      const state = `${rootAfter ? "root" : "no root"}, ${cacertsAfter ? "cacerts" : "no cacerts"}`;
      seen.set(state, (seen.get(state) ?? 0) + 1);
      const left = `${state} (${after})`;
      const rootBefore = text(rootAfter, "root-cert.pem");
      // The next operator run (here: in-process) finishes the job.
      const converged = await new CertificateAuthority(ssa).ensure(spec(), namespace, new Date());
      expect(converged.kind, left).toBe("ready");
      const [cacerts, root] = await Promise.all([
        secret(namespace, "cacerts"),
        secret(namespace, "meshkeeper-root-ca"),
      ]);
      // The root that existed after the crash (if any) is the root in use: never a second.
      if (rootBefore) expect(text(root, "root-cert.pem"), left).toBe(rootBefore);
      expect(text(cacerts, "root-cert.pem").trim(), left).toBe(text(root, "root-cert.pem").trim());
    }
    console.log(`CA crash points hit: ${JSON.stringify(Object.fromEntries(seen))}`);
    // The kills really landed at different points, not all before or all after the writes.
    expect(seen.size, JSON.stringify(Object.fromEntries(seen))).toBeGreaterThan(1);
  }, 120_000);

  it("adopts an existing valid cacerts it did not create and never rewrites it, even when due", async () => {
    const namespace = await freshNamespace();
    const theirs = await testCa({ intermediateValidityMs: 2 * HOUR }); // due for renewal
    await ssa.create({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "cacerts", namespace },
      data: secretData(theirs.cacerts),
    });
    const before = await secret(namespace, "cacerts");
    const state = await new CertificateAuthority(ssa).ensure(spec(), namespace, new Date());
    expect(state).toMatchObject({ kind: "ready", writes: 0, action: "adopted" });
    expect((await secret(namespace, "cacerts"))?.metadata.resourceVersion).toBe(
      before?.metadata.resourceVersion,
    );
    expect(await secret(namespace, "meshkeeper-root-ca")).toBeUndefined();
  });

  it("renews its own intermediate under the same root when it is due, once", async () => {
    const namespace = await freshNamespace();
    const start = new Date();
    const first = await new CertificateAuthority(ssa).ensure(spec(), namespace, start);
    const rootBefore = text(await secret(namespace, "meshkeeper-root-ca"), "root-cert.pem");
    const caBefore = text(await secret(namespace, "cacerts"), "ca-cert.pem");
    // 8760h intermediate, renewBefore 720h: due 8040h after creation.
    const due = new Date(start.getTime() + 8100 * HOUR);
    const renewed = await new CertificateAuthority(ssa).ensure(spec(), namespace, due);
    expect(renewed).toMatchObject({ kind: "ready", writes: 1 });
    expect(text(await secret(namespace, "meshkeeper-root-ca"), "root-cert.pem")).toBe(rootBefore);
    expect(text(await secret(namespace, "cacerts"), "root-cert.pem").trim()).toBe(
      rootBefore.trim(),
    );
    expect(text(await secret(namespace, "cacerts"), "ca-cert.pem")).not.toBe(caBefore);
    expect(renewed.kind === "ready" && first.kind === "ready" && renewed.hash !== first.hash).toBe(
      true,
    );
    // The new intermediate is not due: the next reconciles write nothing.
    const again = await new CertificateAuthority(ssa).ensure(spec(), namespace, due);
    expect(again).toMatchObject({ kind: "ready", writes: 0, action: "adopted" });
  });

  it("issues a new intermediate under its root when its own intermediate has expired", async () => {
    const namespace = await freshNamespace();
    const start = new Date();
    await new CertificateAuthority(ssa).ensure(spec(), namespace, start);
    const rootBefore = text(await secret(namespace, "meshkeeper-root-ca"), "root-cert.pem");
    const late = new Date(start.getTime() + 9000 * HOUR); // the operator was away
    const state = await new CertificateAuthority(ssa).ensure(spec(), namespace, late);
    expect(state).toMatchObject({ kind: "ready", writes: 1 });
    expect(state.kind === "ready" && state.intermediateNotAfter > late).toBe(true);
    expect(text(await secret(namespace, "cacerts"), "root-cert.pem").trim()).toBe(
      rootBefore.trim(),
    );
  });

  it("warns before the root expires, and does not renew an intermediate the root caps", async () => {
    const namespace = await freshNamespace();
    const soon = spec({
      certificateAuthority: {
        type: "SelfSigned",
        selfSigned: { rootValidity: "240h", intermediateValidity: "8760h", renewBefore: "720h" },
      },
    });
    const state = await new CertificateAuthority(ssa).ensure(soon, namespace, new Date());
    expect(state).toMatchObject({ kind: "ready", rootExpiringSoon: true, writes: 2 });
    // The intermediate is "due" but ends with the root already: renewing gains nothing,
    // so no reconcile rewrites cacerts (and rolls istiod) again and again.
    const later = new Date(Date.now() + 100 * HOUR);
    for (let run = 0; run < 3; run += 1) {
      const next = await new CertificateAuthority(ssa).ensure(soon, namespace, later);
      expect(next).toMatchObject({ kind: "ready", rootExpiringSoon: true, writes: 0 });
    }
  });

  it("reports an expired root of its own as RenewalFailed and writes nothing", async () => {
    const namespace = await freshNamespace();
    const start = new Date();
    const short = spec({
      certificateAuthority: {
        type: "SelfSigned",
        selfSigned: { rootValidity: "240h", intermediateValidity: "8760h", renewBefore: "720h" },
      },
    });
    await new CertificateAuthority(ssa).ensure(short, namespace, start);
    const before = await secret(namespace, "cacerts");
    const state = await new CertificateAuthority(ssa).ensure(
      short,
      namespace,
      new Date(start.getTime() + 300 * HOUR),
    );
    expect(state).toMatchObject({ kind: "failed", reason: "RenewalFailed", writes: 0 });
    expect((await secret(namespace, "cacerts"))?.metadata.resourceVersion).toBe(
      before?.metadata.resourceVersion,
    );
  });
});

describe("a CA the user brings (type Secret)", () => {
  it("gets a clear reason for every broken Secret, and is never written", async () => {
    const namespace = await freshNamespace();
    const good = await testCa();
    const other = await testCa();
    const leaf = await issueWorkloadLeaf(good.cacerts);
    const cases: [string, Record<string, string>, string][] = [
      ["missing", {}, "SecretNotFound"],
      [
        "key of another CA",
        secretData({ ...good.cacerts, "ca-key.pem": other.cacerts["ca-key.pem"] }),
        "KeyMismatch",
      ],
      [
        "truncated",
        secretData({ ...good.cacerts, "ca-cert.pem": good.cacerts["ca-cert.pem"].slice(0, 200) }),
        "InvalidPEM",
      ],
      [
        "no cert-chain.pem",
        secretData({ ...good.cacerts, "cert-chain.pem": undefined }),
        "MissingKey",
      ],
      [
        "expired",
        secretData(
          (await testCa({ now: new Date(Date.now() - 30 * DAY), intermediateValidityMs: DAY }))
            .cacerts,
        ),
        "Expired",
      ],
      [
        "a workload certificate as the CA",
        secretData({
          ...good.cacerts,
          "ca-cert.pem": leaf.certPem,
          "ca-key.pem": leaf.keyPem,
          "cert-chain.pem": leaf.certPem + good.cacerts["cert-chain.pem"],
        }),
        "NotACA",
      ],
      [
        "chain in the wrong order",
        secretData({
          ...good.cacerts,
          "cert-chain.pem": good.cacerts["root-cert.pem"] + good.cacerts["ca-cert.pem"],
        }),
        "ChainInvalid",
      ],
      [
        "garbage bytes",
        {
          ...secretData(good.cacerts),
          "ca-cert.pem": randomBytes(3000).toString("base64"),
        },
        "InvalidPEM",
      ],
      [
        "a huge value",
        secretData({ ...good.cacerts, "cert-chain.pem": "A".repeat(200 * 1024) }),
        "TooLarge",
      ],
    ];
    for (const [name, data, reason] of cases) {
      const secretName = `user-ca-${cases.findIndex((c) => c[0] === name)}`;
      if (name !== "missing")
        await ssa.create({
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: secretName, namespace },
          data,
        });
      const before = await secret(namespace, secretName);
      const state = await new CertificateAuthority(ssa).ensure(
        spec({ certificateAuthority: { type: "Secret", secret: { name: secretName } } }),
        namespace,
        new Date(),
      );
      expect(state, name).toMatchObject({ kind: "failed", reason, writes: 0 });
      expect((await secret(namespace, secretName))?.metadata.resourceVersion, name).toBe(
        before?.metadata.resourceVersion,
      );
      expect(await secret(namespace, "cacerts"), name).toBeUndefined();
    }
  });
});

describe("secrets stay secret", () => {
  let harness: OperatorHarness;
  const printed: string[] = [];

  beforeAll(async () => {
    await installMeshConfigCrd();
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        printed.push(chunk.toString("utf8"));
        done();
      },
    });
    harness = await new OperatorHarness(adminConfig(), {
      log: createLogger({ level: "debug", destination: capture }),
    }).start();
  });

  afterAll(async () => {
    await harness.deleteMeshConfig();
    for (const name of ["cacerts", "meshkeeper-root-ca", "broken-user-ca"])
      await harness.ssa.delete({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, namespace: "istio-system" },
      });
    await harness.stop();
  });

  it("no log line, event, status or error carries key material", async () => {
    await harness.applyAsUser(mesh({ gateways: [] }));
    await harness.waitForCondition("Ready", "True");
    // A broken user CA too: its error paths must not quote the key either.
    const other = await testCa();
    const good = await testCa();
    await harness.applyAsUser({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "broken-user-ca", namespace: "istio-system" },
      data: secretData({ ...good.cacerts, "ca-key.pem": other.cacerts["ca-key.pem"] }),
    });
    await harness.applyAsUser(
      mesh({
        gateways: [],
        certificateAuthority: { type: "Secret", secret: { name: "broken-user-ca" } },
      }),
    );
    await harness.waitForCondition("CAReady", "False", "KeyMismatch");
    const keys = [
      text(await secret("istio-system", "cacerts"), "ca-key.pem"),
      text(await secret("istio-system", "meshkeeper-root-ca"), "root-key.pem"),
      other.cacerts["ca-key.pem"],
    ];
    const events = await harness.client.send<unknown>({
      method: "GET",
      path: "/apis/events.k8s.io/v1/namespaces/default/events",
    });
    const everything = [
      printed.join(""),
      JSON.stringify(events),
      JSON.stringify(await harness.meshConfig()),
    ].join("\n");
    expect(printed.length).toBeGreaterThan(20);
    expect(everything).not.toContain("PRIVATE KEY");
    for (const key of keys) {
      const body = key.split("\n").filter((line) => line && !line.startsWith("-----"));
      expect(body.length).toBeGreaterThan(0);
      for (const line of body) expect(everything).not.toContain(line);
      expect(everything).not.toContain(Buffer.from(key).toString("base64").slice(0, 40));
    }
  });
});
