/**
 * Process ids outlive processes: a pid written to a file may belong to some unrelated
 * program by the time it is read (after a reboot, or a crash long ago). So nothing here
 * signals a pid without first checking, in /proc, that its command line is ours.
 */
import { readFileSync } from "node:fs";

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The process's command line with arguments joined by spaces, or undefined if it is gone. */
export function commandLineOf(pid: number): string | undefined {
  if (!isAlive(pid)) return undefined;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return undefined;
  }
}

/** True when the pid is alive and its command line contains every one of the marks. */
export function isOurs(pid: number, ...marks: readonly string[]): boolean {
  const commandLine = commandLineOf(pid);
  return commandLine !== undefined && marks.every((mark) => commandLine.includes(mark));
}

/** Signals the process group led by pid, if that pid is still ours. */
export function signalGroupIfOurs(
  pid: number,
  signal: NodeJS.Signals,
  ...marks: readonly string[]
): boolean {
  if (!isOurs(pid, ...marks)) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}
