/**
 * The mesh CA against the real API server: never a second root (races, crashes mid-way),
 * adoption of an existing CA without rewriting it, renewal under the same root, the user's
 * Secret validated and never written, and no key material in anything the operator says.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Discovery } from "../../operator/kube/discovery.ts";
import { RestClient } from "../../operator/kube/rest-client.ts";
import { ServerSideApply, type ApplyTarget } from "../../operator/kube/server-side-apply.ts";
import { CertificateAuthority } from "../../operator/reconcile/certificate-authority.ts";
import { validateSpec } from "../../operator/api/validate.ts";
import type { MeshConfigSpec } from "../../operator/api/mesh-config-spec.ts";
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

const CRASH_POINTS = ["before-root", "after-root", "after-cacerts"] as const;

/**
 * Runs the CA step in its own process and crashes it: at a crash point (it SIGKILLs
 * itself there), or by a SIGKILL from here `delayMs` after it starts.
 */
async function crashDuringCreation(
  namespace: string,
  how: { point: string } | { delayMs: number },
): Promise<string> {
  const args = [CHILD, inject("cluster").kubeconfig, namespace];
  if ("point" in how) args.push(how.point);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
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
    child.on("exit", (code, signal) => {
      reject(new Error(`the CA child ended (${code ?? signal ?? ""}) before it started`));
    });
  });
  if ("delayMs" in how) {
    await sleep(how.delayMs);
    child.kill("SIGKILL");
  }
  await exited;
  if (output.includes("done")) return "finished before the kill";
  return "point" in how ? `crashed ${how.point}` : `killed after ${how.delayMs} ms`;
}

/** The next operator runs, as its requeues would: a write still in flight at the crash
 * may land after it and make one run report CAInProgress. */
async function converge(namespace: string) {
  let state = await new CertificateAuthority(ssa).ensure(spec(), namespace, new Date());
  for (let run = 0; run < 3 && state.kind !== "ready"; run += 1)
    state = await new CertificateAuthority(ssa).ensure(spec(), namespace, new Date());
  return state;
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
      // Six crashes, two at each point between the writes, then kills from outside at moments
      // spread over the creation window (requests in flight, keys half made).
      const how =
        round < 6
          ? { point: CRASH_POINTS[round % CRASH_POINTS.length] ?? "" }
          : { delayMs: (round - 6) * 5 };
      const after = await crashDuringCreation(namespace, how);
      const [cacertsAfter, rootAfter] = await Promise.all([
        secret(namespace, "cacerts"),
        secret(namespace, "meshkeeper-root-ca"),
      ]);
      // What the crash left behind; how it crashed is for the failure message only.
      const state = `${rootAfter ? "root" : "no root"}, ${cacertsAfter ? "cacerts" : "no cacerts"}`;
      seen.set(state, (seen.get(state) ?? 0) + 1);
      const left = `${state} (${after})`;
      const rootBefore = text(rootAfter, "root-cert.pem");
      const converged = await converge(namespace);
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
    // Every state a crash can leave was really left, and recovered from.
    expect([...seen.keys()].sort()).toEqual([
      "no root, no cacerts",
      "root, cacerts",
      "root, no cacerts",
    ]);
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
    // Following the advice halfway (deleting only cacerts) still issues nothing from the
    // expired root, and makes no new root either.
    await ssa.delete({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "cacerts", namespace },
    });
    const rootBefore = text(await secret(namespace, "meshkeeper-root-ca"), "root-cert.pem");
    const again = await new CertificateAuthority(ssa).ensure(
      short,
      namespace,
      new Date(start.getTime() + 300 * HOUR),
    );
    expect(again).toMatchObject({ kind: "failed", reason: "RenewalFailed", writes: 0 });
    expect(await secret(namespace, "cacerts")).toBeUndefined();
    expect(text(await secret(namespace, "meshkeeper-root-ca"), "root-cert.pem")).toBe(rootBefore);
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

  beforeAll(async () => {
    await installMeshConfigCrd();
    // The harness keeps everything the operator logs, at debug level.
    harness = await new OperatorHarness(adminConfig()).start();
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
      harness.printed.join(""),
      JSON.stringify(events),
      JSON.stringify(await harness.meshConfig()),
    ].join("\n");
    expect(harness.printed.length).toBeGreaterThan(20);
    expect(everything).not.toContain("PRIVATE KEY");
    for (const key of keys) {
      const body = key.split("\n").filter((line) => line && !line.startsWith("-----"));
      expect(body.length).toBeGreaterThan(0);
      for (const line of body) expect(everything).not.toContain(line);
      expect(everything).not.toContain(Buffer.from(key).toString("base64").slice(0, 40));
    }
  });
});
