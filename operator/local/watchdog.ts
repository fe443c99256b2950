/**
 * Reaps a local control plane whose owner died without cleaning up (kill -9, a crashed
 * test runner). Runs as its own small process: every half second it checks that the owner
 * is alive; when it is not, it kills every process group listed in the pids file and
 * removes the work folder. When the folder is gone (a clean stop), it simply exits.
 *
 *   node watchdog.ts <owner-pid> <work-folder>
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const POLL_MS = 500;

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function reap(workFolder: string): void {
  const pidsFile = join(workFolder, "pids");
  const pids = existsSync(pidsFile)
    ? readFileSync(pidsFile, "utf8")
        .split("\n")
        .map(Number)
        .filter((pid) => pid > 0)
    : [];
  for (const pid of pids) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  rmSync(workFolder, { recursive: true, force: true });
}

function watch(ownerPid: number, workFolder: string): void {
  const timer = setInterval(() => {
    if (!existsSync(workFolder)) {
      clearInterval(timer);
    } else if (!isAlive(ownerPid)) {
      reap(workFolder);
      clearInterval(timer);
    }
  }, POLL_MS);
}

const [ownerPid, workFolder] = process.argv.slice(2);
if (import.meta.main && ownerPid && workFolder) watch(Number(ownerPid), workFolder);
