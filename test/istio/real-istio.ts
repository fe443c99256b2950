/**
 * What every file of the real-Istio tier needs: the operator (in this process, as the
 * operator tests run it) converging a mesh on the local control plane, then a real
 * istiod started with exactly what the operator applied (operator/local/mesh-istiod.ts),
 * and clients for istiod's CA and xDS (tools/istio/cmd/*).
 */
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { inject } from "vitest";
import { startMeshIstiod, type MeshIstiod } from "../../operator/local/mesh-istiod.ts";
import { RestClient } from "../../operator/kube/rest-client.ts";
import type { ManagerOptions } from "../../operator/runtime/manager.ts";
import { adminConfig } from "../integration/cluster-client.ts";
import { installMeshConfigCrd } from "../integration/meshconfig-client.ts";
import { OperatorHarness } from "../integration/operator-harness.ts";
import { mesh } from "../fixtures/test-mesh.ts";

const run = promisify(execFile);

export interface RealMesh {
  readonly harness: OperatorHarness;
  readonly admin: RestClient;
  readonly workDir: string;
  stop(): Promise<void>;
}

/** The operator converges `spec` (on top of the tests' mesh) until Ready. */
export async function convergeMesh(
  spec: Record<string, unknown> = {},
  operator: Partial<ManagerOptions> = {},
): Promise<RealMesh> {
  await installMeshConfigCrd();
  const harness = await new OperatorHarness(adminConfig(), operator).start();
  await harness.deleteMeshConfig();
  await harness.applyAsUser(mesh(spec));
  await harness.waitForCondition("Ready", "True", undefined, 120_000);
  const admin = new RestClient(adminConfig());
  // Istiod's folders (logs included) go when the file's mesh goes; a failed run keeps them.
  const workDir = mkdtempSync(join(tmpdir(), "meshkeeper-istio-"));
  return {
    harness,
    admin,
    workDir,
    stop: async () => {
      await harness.deleteMeshConfig(120_000);
      for (const name of ["cacerts", "meshkeeper-root-ca"])
        await harness.ssa.delete({
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name, namespace: "istio-system" },
        });
      await harness.stop();
      admin.close();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** A real istiod with exactly what the operator applied, in a folder of its own. */
export async function startIstiod(real: RealMesh, name = "istiod"): Promise<MeshIstiod> {
  const cluster = inject("cluster");
  return startMeshIstiod({
    admin: real.admin,
    server: cluster.server,
    certificateAuthority: cluster.certificateAuthority,
    binary: inject("istio").pilotDiscovery,
    workDir: mkdtempSync(join(real.workDir, `${name}-`)),
  });
}

export interface CaAnswer {
  signed: boolean;
  certChain?: string[];
  code?: string;
  message?: string;
}

/** Asks istiod's CA to sign a workload certificate for `identity`, with `token` as credential. */
export async function requestCertificate(
  istiod: MeshIstiod,
  rootPem: string,
  token: string,
  identity: string,
  extra: string[] = [],
): Promise<CaAnswer> {
  const dir = mkdtempSync(join(istiod.istiod.workDir, "csr-"));
  writeFileSync(join(dir, "root.pem"), rootPem);
  writeFileSync(join(dir, "token"), token);
  const args = [
    `--addr=${istiod.istiod.caAddress}`,
    `--root-cert=${join(dir, "root.pem")}`,
    `--token=${join(dir, "token")}`,
    `--identity=${identity}`,
    ...extra,
  ];
  try {
    const { stdout } = await run(inject("istio").istioCaClient, args);
    return JSON.parse(stdout) as CaAnswer;
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (failed.code === 3 && failed.stdout) return JSON.parse(failed.stdout) as CaAnswer;
    throw new Error(`istio-ca-client failed: ${failed.stderr ?? String(error)}`, { cause: error });
  }
}

export interface ProxyIdentity {
  readonly ip: string;
  readonly namespace: string;
  readonly workload: string;
  /** istio-agent's roles, and ztunnel's (its own xDS client, node type ztunnel). */
  readonly nodeType?: "sidecar" | "router" | "ztunnel" | "waypoint";
  readonly labels?: Record<string, string>;
  readonly serviceAccount?: string;
  readonly meta?: Record<string, unknown>;
}

export type XdsDump = Record<string, Record<string, unknown>[]>;

export const TYPE = {
  listener: "type.googleapis.com/envoy.config.listener.v3.Listener",
  cluster: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
  route: "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
  endpoint: "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
} as const;

/**
 * What istiod sends one proxy (LDS, CDS and what follows them), as Envoy JSON. `wait`: the
 * types that must be answered (default: `types` plus RDS after LDS, EDS after CDS);
 * `routes`: route configurations to ask for by name, beyond the ones adsc derives from the
 * listeners' ports (a gateway's are named `http.<port>`); `delta`: delta xDS with wildcard
 * subscriptions, as ztunnel speaks it (istiod serves a SotW WDS client on demand: only the
 * pods on its node, no Services). Workloads, services and ambient policies are merged
 * across istiod's answers (it pushes only what changed after the first).
 */
export async function xdsFor(
  istiod: MeshIstiod,
  proxy: ProxyIdentity,
  types = "lds,cds",
  options: { wait?: string; routes?: string[]; delta?: boolean } = {},
): Promise<XdsDump> {
  const meta = {
    NAMESPACE: proxy.namespace,
    CLUSTER_ID: "Kubernetes",
    ISTIO_VERSION: "1.31.0",
    LABELS: proxy.labels ?? {},
    ...(proxy.serviceAccount ? { SERVICE_ACCOUNT: proxy.serviceAccount } : {}),
    ...proxy.meta,
  };
  const { stdout } = await run(
    inject("istio").xdsClient,
    [
      `--addr=${istiod.istiod.xdsAddress}`,
      `--ip=${proxy.ip}`,
      `--namespace=${proxy.namespace}`,
      `--workload=${proxy.workload}`,
      `--node-type=${proxy.nodeType ?? "sidecar"}`,
      `--meta=${JSON.stringify(meta)}`,
      `--types=${types}`,
      ...(options.wait ? [`--wait=${options.wait}`] : []),
      ...(options.routes?.length ? [`--routes=${options.routes.join(",")}`] : []),
      ...(options.delta ? ["--delta"] : []),
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  // Istio's log package (adsc logs through it) writes to stdout too; the dump is the one
  // line that is a JSON object.
  const dump = stdout.split("\n").find((line) => line.startsWith("{"));
  if (!dump) throw new Error(`xds-client printed no dump: ${stdout.slice(0, 500)}`);
  return JSON.parse(dump) as XdsDump;
}

/** Waits until `check` passes on istiod's answer (istiod pushes config changes asynchronously). */
export async function eventuallyXds<T>(
  what: string,
  fetch: () => Promise<XdsDump>,
  check: (dump: XdsDump) => T | undefined,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = check(await fetch());
    if (found !== undefined) return found;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${what} in istiod's xDS`);
    await sleep(500);
  }
}

/** The cacerts Secret's files, decoded. */
export async function caSecret(
  admin: RestClient,
  name = "cacerts",
): Promise<Record<string, string>> {
  const secret = await admin.send<{ data: Record<string, string> }>({
    method: "GET",
    path: `/api/v1/namespaces/istio-system/secrets/${name}`,
  });
  return Object.fromEntries(
    Object.entries(secret.data).map(([key, value]) => [
      key,
      Buffer.from(value, "base64").toString("utf8"),
    ]),
  );
}

/** A namespace and ServiceAccount of the test's own, and a token for it with the given audience. */
export async function workloadToken(
  admin: RestClient,
  namespace: string,
  serviceAccount: string,
  audience = "istio-ca",
): Promise<string> {
  await applyAsAdmin(admin, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
  await applyAsAdmin(admin, {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: serviceAccount, namespace },
  });
  const response = await admin.send<{ status: { token: string } }>({
    method: "POST",
    path: `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
    body: {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { audiences: [audience] },
    },
  });
  return response.status.token;
}

const PLURALS: Record<string, string> = {
  Namespace: "namespaces",
  ServiceAccount: "serviceaccounts",
  Pod: "pods",
  Service: "services",
};

/** Server-side apply as a person with kubectl, for the core kinds the tier creates. */
export async function applyAsAdmin(
  admin: RestClient,
  object: {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string> };
    [field: string]: unknown;
  },
  path?: string,
): Promise<void> {
  const plural = PLURALS[object.kind];
  const target =
    path ??
    (object.metadata.namespace
      ? `/api/v1/namespaces/${object.metadata.namespace}/${plural}/${object.metadata.name}`
      : `/api/v1/${plural}/${object.metadata.name}`);
  await admin.send({
    method: "PATCH",
    path: target,
    body: object,
    contentType: "application/apply-patch+yaml",
    query: { fieldManager: "istio-tier-test", force: "true" },
  });
}

/** The certificates of a PEM bundle, in order. */
export function certificates(pem: string): X509Certificate[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map(
    ([block]) => new X509Certificate(block),
  );
}

/** The first certificate of a PEM bundle; a bundle without one fails the test here. */
export function firstCertificate(pem: string | undefined): X509Certificate {
  const [first] = certificates(pem ?? "");
  if (!first) throw new Error(`no certificate in ${JSON.stringify((pem ?? "").slice(0, 80))}`);
  return first;
}
