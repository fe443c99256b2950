/**
 * `meshkeeper run`: the operator process. Reads the kubeconfig (--kubeconfig, $KUBECONFIG,
 * ~/.kube/config, or the pod's in-cluster service account), serves health and metrics,
 * joins leader election, and reconciles until SIGTERM or SIGINT, on which it finishes
 * the running reconcile, releases the lease and exits 0.
 */
import { loadClusterAccess } from "../kube/kubeconfig.ts";
import { parseArgs } from "node:util";
import { Manager, type ManagerOptions } from "../runtime/manager.ts";
import { IdleCollector } from "../runtime/idle-collector.ts";
import { createLogger } from "../runtime/logger.ts";

export const RUN_USAGE = `usage: meshkeeper run [options]

  --kubeconfig PATH            cluster to manage (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --health-port N              /healthz, /readyz, /metrics (default 8081; 0 = any free port)
  --health-host HOST           address to serve them on (default 127.0.0.1; 0.0.0.0 in a pod)
  --leader-elect true|false    coordinate replicas through a Lease (default true)
  --lease-namespace NS         namespace of the Lease (default $POD_NAMESPACE or meshkeeper-system)
  --identity NAME              this replica's name in the Lease (default $POD_NAME or host-pid)
  --progress-deadline SECONDS  Stalled/ProgressDeadlineExceeded after this long unavailable (600)
  --istio-crds managed|external  who installs Istio's CRDs: the operator (default) or OLM
  --log-level LEVEL            trace, debug, info, warn, error (default info)`;

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new RunUsageError(`${flag} must be a positive number of seconds, not '${value}'`);
  return parsed * 1000;
}

function identityOption(identity: string | undefined): { identity?: string } {
  return identity ? { identity } : {};
}

export class RunUsageError extends Error {
  override name = "RunUsageError";
}

function parseRunArgs(args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      options: {
        kubeconfig: { type: "string" },
        "health-port": { type: "string", default: "8081" },
        "health-host": { type: "string" },
        "leader-elect": { type: "string", default: "true" },
        "lease-namespace": { type: "string" },
        identity: { type: "string" },
        "progress-deadline": { type: "string" },
        "log-level": { type: "string", default: "info" },
        "istio-crds": { type: "string", default: "managed" },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new RunUsageError(`${(error as Error).message}\n\n${RUN_USAGE}`);
  }
}

function istioCrdsOf(value: string): "managed" | "external" {
  if (value === "managed" || value === "external") return value;
  throw new RunUsageError(`--istio-crds must be managed or external, not '${value}'`);
}

type RunFlags = ReturnType<typeof parseRunArgs>;

/** Everything the flags decide, checked: a bad value is a usage error before anything starts. */
function optionsFromFlags(flags: RunFlags): Omit<ManagerOptions, "log" | "onLostLeadership"> {
  const healthPort = Number(flags["health-port"]);
  if (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65535)
    throw new RunUsageError(`--health-port must be a port number, not '${flags["health-port"]}'`);
  if (flags["leader-elect"] !== "true" && flags["leader-elect"] !== "false")
    throw new RunUsageError(`--leader-elect must be true or false`);
  const progressDeadlineMs = seconds(flags["progress-deadline"], "--progress-deadline");
  const istioCrds = istioCrdsOf(flags["istio-crds"]);
  const namespace = flags["lease-namespace"] ?? process.env.POD_NAMESPACE ?? "meshkeeper-system";
  return {
    kubeconfig: loadClusterAccess(flags.kubeconfig),
    healthPort,
    ...(flags["health-host"] ? { healthHost: flags["health-host"] } : {}),
    ...identityOption(flags.identity ?? process.env.POD_NAME),
    ...(flags["leader-elect"] === "true"
      ? { leaderElection: { namespace, name: "meshkeeper-leader" } }
      : {}),
    ...(progressDeadlineMs ? { progressDeadlineMs } : {}),
    istioCrds,
  };
}

export async function runCommand(args: readonly string[]): Promise<number> {
  const flags = parseRunArgs(args);
  const options = optionsFromFlags(flags);
  const log = createLogger({ level: flags["log-level"] });
  let stopping: Promise<void> | undefined;
  let exitCode = 0;
  const done = Promise.withResolvers<undefined>();
  const shutdown = (why: string, code: number) => {
    log.info({ why }, "shutting down");
    exitCode = Math.max(exitCode, code);
    stopping ??= manager.stop();
    stopping.then(
      () => {
        done.resolve(undefined);
      },
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        exitCode = 1;
        done.resolve(undefined);
      },
    );
  };
  // The garbage of a reconcile burst goes back to the system once the burst is over.
  const collector = new IdleCollector();
  const manager = new Manager({
    ...options,
    log,
    onReconciled: () => {
      collector.poke();
    },
    // Another replica leads now: exit non-zero so the pod restarts as a standby.
    onLostLeadership: () => {
      shutdown("lost leadership", 1);
    },
  });
  process.once("SIGTERM", () => {
    shutdown("SIGTERM", 0);
  });
  process.once("SIGINT", () => {
    shutdown("SIGINT", 0);
  });
  await manager.start();
  log.info({ identity: manager.identity }, "meshkeeper operator started");
  collector.poke();
  await done.promise;
  collector.stop();
  return exitCode;
}
