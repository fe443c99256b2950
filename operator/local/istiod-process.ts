/**
 * A real istiod (Istio's pilot-discovery) as a local process. Istiod reads several files
 * by paths relative to its working directory (./etc/cacerts for the plugged-in CA,
 * ./var/lib/istio/inject for file-based injection config, ./var/run/secrets/istio-dns for
 * its own serving certificate), so each istiod gets a folder of its own, laid out the way
 * a pod's volumes would be. Its ports move to free loopback ports so several istiods (and
 * the operator's tests) run side by side; everything else is the caller's args and env.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { cleanupOnExit } from "./cleanup-on-exit.ts";
import { waitUntilHealthy } from "./health.ts";
import { httpGet } from "./http-probe.ts";
import { freePort, LOOPBACK } from "./ports.ts";
import { ManagedProcess } from "./process.ts";

export interface IstiodOptions {
  /** pilot-discovery. */
  readonly binary: string;
  /** Its working directory; files below it stand in for the pod's volumes. */
  readonly workDir: string;
  /** Container args (`discovery`, `--monitoringAddr=:15014`, ...); port flags are appended. */
  readonly args: readonly string[];
  /** Container env, already resolved to values. */
  readonly env: Readonly<Record<string, string>>;
  /** Path of the kubeconfig istiod authenticates with. */
  readonly kubeconfig: string;
  /** Label for logs and errors, e.g. "istiod" or "istiod (upstream reference)". */
  readonly name?: string;
  readonly readyTimeoutMs?: number;
}

export interface IstiodPorts {
  /** Debug and readiness (/ready, /debug/*): the pod's 8080. */
  readonly http: number;
  /** Plaintext xDS: 15010. */
  readonly grpc: number;
  /** xDS over TLS and the CA: 15012. */
  readonly secureGrpc: number;
  /** Injection and validation webhooks over TLS: 15017. */
  readonly webhook: number;
  /** Prometheus metrics: 15014. */
  readonly monitoring: number;
}

/** Port flags, placed after the caller's args so they win over the Deployment's own. */
function portArgs(ports: IstiodPorts, ctrlz: number): string[] {
  const at = (port: number) => `${LOOPBACK}:${port}`;
  return [
    `--httpAddr=${at(ports.http)}`,
    `--grpcAddr=${at(ports.grpc)}`,
    `--secureGRPCAddr=${at(ports.secureGrpc)}`,
    `--httpsAddr=${at(ports.webhook)}`,
    `--monitoringAddr=${at(ports.monitoring)}`,
    `--ctrlz_port=${ctrlz}`,
    `--ctrlz_address=${LOOPBACK}`,
  ];
}

/** Writes a file below the work dir at the path a volume would mount it (absolute in the pod). */
export function writePodFile(workDir: string, podPath: string, content: string | Buffer): string {
  const path = join(workDir, podPath);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

export class IstiodProcess {
  readonly ports: IstiodPorts;
  readonly workDir: string;
  private readonly process: ManagedProcess;
  private readonly forget: () => void;

  private constructor(process: ManagedProcess, ports: IstiodPorts, workDir: string) {
    this.process = process;
    this.ports = ports;
    this.workDir = workDir;
    this.forget = cleanupOnExit(() => {
      process.killNow();
    });
  }

  static async start(options: IstiodOptions): Promise<IstiodProcess> {
    const ports: IstiodPorts = {
      http: await freePort(),
      grpc: await freePort(),
      secureGrpc: await freePort(),
      webhook: await freePort(),
      monitoring: await freePort(),
    };
    const ctrlz = await freePort();
    mkdirSync(options.workDir, { recursive: true });
    const name = options.name ?? "istiod";
    const process = new ManagedProcess({
      component: name,
      binary: options.binary,
      args: [...options.args, `--kubeconfig=${options.kubeconfig}`, ...portArgs(ports, ctrlz)],
      logFile: join(options.workDir, "istiod.log"),
      cwd: options.workDir,
      // Only what the container would have, plus PATH; never the test runner's KUBECONFIG.
      env: {
        PATH: globalThis.process.env.PATH ?? "",
        ...options.env,
        KUBECONFIG: options.kubeconfig,
      },
    });
    const istiod = new IstiodProcess(process, ports, options.workDir);
    try {
      await waitUntilHealthy(
        process,
        async () => (await httpGet(`http://${LOOPBACK}:${ports.http}/ready`)).status === 200,
        options.readyTimeoutMs ?? 90_000,
        "become ready (/ready)",
      );
    } catch (error) {
      await istiod.stop();
      throw error;
    }
    return istiod;
  }

  get logPath(): string {
    return this.process.logFile;
  }

  get running(): boolean {
    return this.process.running;
  }

  log(): string {
    return readFileSync(this.process.logFile, "utf8");
  }

  get injectUrl(): string {
    return `https://${LOOPBACK}:${this.ports.webhook}/inject`;
  }

  get validateUrl(): string {
    return `https://${LOOPBACK}:${this.ports.webhook}/validate`;
  }

  get xdsAddress(): string {
    return `${LOOPBACK}:${this.ports.grpc}`;
  }

  get caAddress(): string {
    return `${LOOPBACK}:${this.ports.secureGrpc}`;
  }

  async stop(): Promise<void> {
    await this.process.stop();
    this.forget();
  }
}
