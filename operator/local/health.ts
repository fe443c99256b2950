/**
 * Waits for a component to become healthy, and when it does not, fails fast with an error
 * that names the component, says why (it exited, or it never answered), points at its log
 * file and quotes the end of it. A crashed component is noticed at once, not at timeout.
 */
import { existsSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { tail } from "./command.ts";
import { LocalClusterError } from "./errors.ts";
import type { ManagedProcess } from "./process.ts";

const POLL_MS = 100;

export function logTail(logFile: string, lines = 12): string {
  return existsSync(logFile) ? tail(readFileSync(logFile, "utf8"), lines) : "(no output)";
}

function hintFor(component: string, log: string): string {
  if (/address already in use/i.test(log)) {
    return `a port ${component} needs was taken by another process; run again to pick free ports, or stop that process`;
  }
  return `read the log above; \`meshkeeper cluster down\` removes anything left from earlier runs`;
}

export async function waitUntilHealthy(
  process: ManagedProcess,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  goal = "become healthy",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!process.running) {
      const log = logTail(process.logFile);
      throw new LocalClusterError(
        `${process.component} ${process.describeExit()} before it could ${goal} (log: ${process.logFile}):\n${log}`,
        hintFor(process.component, log),
      );
    }
    const healthy = await probe().catch(() => false);
    if (healthy) return;
    if (Date.now() > deadline) {
      const log = logTail(process.logFile);
      throw new LocalClusterError(
        `${process.component} did not ${goal} within ${timeoutMs / 1000}s (log: ${process.logFile}):\n${log}`,
        hintFor(process.component, log),
      );
    }
    await sleep(POLL_MS);
  }
}
