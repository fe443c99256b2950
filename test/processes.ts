/** Finding leftover processes: every component's command line names its work folder. */
import { readdirSync, readFileSync } from "node:fs";

/** Pids of live processes whose command line mentions the text (test runners excluded). */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes(text) && !cmdline.includes("hold-cluster")) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}
