/**
 * Where the API server is and how to authenticate, for `meshkeeper run`: a kubeconfig file
 * ($KUBECONFIG's first file, or ~/.kube/config) or, in a pod, the service account. Our own
 * small loader instead of client-node's KubeConfig, whose import alone costs the process
 * about 75 MiB of its memory budget (bench/README.md). It covers what an operator needs:
 * tokens, token files, client certificates and CA bundles; exec and auth-provider plugins
 * are refused with a clear message.
 */
import { existsSync, readFileSync } from "node:fs";
import type { RequestOptions } from "node:https";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";
import type { ClusterAccess } from "./rest-client.ts";

const SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";
/** Bound service account tokens rotate (hourly); re-read the file this often. */
const TOKEN_REREAD_MS = 60_000;

export class KubeconfigError extends Error {
  override name = "KubeconfigError";
}

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

interface Credentials {
  server: string;
  ca?: Buffer | undefined;
  insecure?: boolean;
  cert?: Buffer | undefined;
  key?: Buffer | undefined;
  token?: string;
  tokenFile?: string;
}

function pick<T>(
  list: Named<T>[] | undefined,
  name: string,
  kind: "cluster" | "user" | "context",
): T {
  const found = list?.find((entry) => entry.name === name)?.[kind];
  if (!found) throw new KubeconfigError(`the kubeconfig has no ${kind} named '${name}'`);
  return found;
}

function bytes(data: unknown, file: unknown, base: string): Buffer | undefined {
  if (typeof data === "string") return Buffer.from(data, "base64");
  if (typeof file === "string") return readFileSync(isAbsolute(file) ? file : join(base, file));
  return undefined;
}

function fromFile(path: string): Credentials {
  const config = parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  const contextName = config["current-context"];
  if (typeof contextName !== "string" || !contextName)
    throw new KubeconfigError(`${path} has no current-context`);
  const context = pick(config.contexts as Named<Record<string, string>>[], contextName, "context");
  const cluster = pick(
    config.clusters as Named<Record<string, unknown>>[],
    context.cluster ?? "",
    "cluster",
  );
  const user = pick(config.users as Named<Record<string, unknown>>[], context.user ?? "", "user");
  if (user.exec || user["auth-provider"])
    throw new KubeconfigError(
      `user '${context.user ?? ""}' in ${path} authenticates through a plugin, which meshkeeper run does not support: use a token or a client certificate (in a pod, the service account is used)`,
    );
  const base = dirname(path);
  return {
    server: String(cluster.server),
    ca: bytes(cluster["certificate-authority-data"], cluster["certificate-authority"], base),
    insecure: cluster["insecure-skip-tls-verify"] === true,
    cert: bytes(user["client-certificate-data"], user["client-certificate"], base),
    key: bytes(user["client-key-data"], user["client-key"], base),
    ...(typeof user.token === "string" ? { token: user.token } : {}),
    ...(typeof user.tokenFile === "string" ? { tokenFile: user.tokenFile } : {}),
  };
}

function inCluster(): Credentials {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? "443";
  if (!host || !existsSync(`${SERVICE_ACCOUNT}/token`))
    throw new KubeconfigError(
      "no kubeconfig found ($KUBECONFIG, ~/.kube/config) and not running in a pod: pass --kubeconfig",
    );
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    ca: readFileSync(`${SERVICE_ACCOUNT}/ca.crt`),
    tokenFile: `${SERVICE_ACCOUNT}/token`,
  };
}

/** The cluster to talk to: an explicit file, $KUBECONFIG, ~/.kube/config, or the pod's account. */
export function loadClusterAccess(
  path?: string,
  env: NodeJS.ProcessEnv = process.env,
): ClusterAccess {
  const candidates = path
    ? [path]
    : [...(env.KUBECONFIG ?? "").split(":").filter(Boolean), join(homedir(), ".kube", "config")];
  const file = candidates.find((candidate) => existsSync(candidate));
  if (path && !file) throw new KubeconfigError(`no kubeconfig at ${path}`);
  return new FileClusterAccess(file ? fromFile(file) : inCluster());
}

class FileClusterAccess implements ClusterAccess {
  private readonly credentials: Credentials;
  private token: { value: string; readAt: number } | undefined;

  constructor(credentials: Credentials) {
    this.credentials = credentials;
  }

  getCurrentCluster(): { server: string } {
    return { server: this.credentials.server };
  }

  private bearer(): string | undefined {
    const { token, tokenFile } = this.credentials;
    if (token) return token;
    if (!tokenFile) return undefined;
    if (!this.token || Date.now() - this.token.readAt > TOKEN_REREAD_MS)
      this.token = { value: readFileSync(tokenFile, "utf8").trim(), readAt: Date.now() };
    return this.token.value;
  }

  applyToHTTPSOptions(options: RequestOptions): Promise<void> {
    const { ca, cert, key, insecure } = this.credentials;
    if (ca) options.ca = ca;
    if (cert) options.cert = cert;
    if (key) options.key = key;
    if (insecure) options.rejectUnauthorized = false;
    const token = this.bearer();
    // RestClient always passes headers as an object.
    const headers = (options.headers ?? {}) as Record<string, string>;
    if (token) options.headers = { ...headers, authorization: `Bearer ${token}` };
    return Promise.resolve();
  }
}
