/**
 * Reaps a local control plane whose owner died without cleaning up (kill -9, a crashed
 * test runner). Runs as its own small process: every half second it checks that the owner
 * is alive; when it is not, it kills every process group listed in the pids file (only
 * those whose command line still names the work folder) and removes the folder. When the
 * folder is gone (a clean stop) or another owner has taken it over, it simply exits.
 *
 *   node watchdog.ts <owner-pid> <work-folder>
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { isAlive, signalGroupIfOurs } from "./pids.ts";

const POLL_MS = 500;

function readLines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

/** Kills the components listed in the folder (if they are still ours) and removes it. */
export function reap(workFolder: string): void {
  for (const pid of readLines(join(workFolder, "pids")).map(Number)) {
    // Every component's command line names a path inside the work folder.
    signalGroupIfOurs(pid, "SIGKILL", workFolder);
  }
  rmSync(workFolder, { recursive: true, force: true });
}

/** The pid of the process that owns the folder, as it wrote it when it started. */
export function ownerOf(workFolder: string): number | undefined {
  const [owner] = readLines(join(workFolder, "owner"));
  return owner === undefined ? undefined : Number(owner);
}

function watch(ownerPid: number, workFolder: string): void {
  const timer = setInterval(() => {
    // Gone, or re-used by a newer cluster in the same folder: not ours to reap any more.
    if (!existsSync(workFolder) || ownerOf(workFolder) !== ownerPid) {
      clearInterval(timer);
    } else if (!isAlive(ownerPid)) {
      reap(workFolder);
      clearInterval(timer);
    }
  }, POLL_MS);
}

const [ownerPid, workFolder] = process.argv.slice(2);
if (import.meta.main && ownerPid && workFolder) watch(Number(ownerPid), workFolder);
