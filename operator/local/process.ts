/**
 * One long-running component (etcd, kube-apiserver, ...) with its output in a log file.
 * Each runs in its own process group, so a Ctrl-C in the terminal reaches only us and we
 * decide the shutdown order; and stop() always ends in SIGKILL, so nothing is left behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";

export interface ProcessSpec {
  readonly component: string;
  readonly binary: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Working directory; istiod, say, reads its CA and injection files by relative path. */
  readonly cwd?: string;
}

export class ManagedProcess {
  readonly component: string;
  readonly logFile: string;
  /** How it was started, so it can be started again the same way. */
  readonly spec: ProcessSpec;
  readonly pid: number;
  private readonly child: ChildProcess;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private spawnError: Error | undefined;
  private readonly exited: Promise<void>;

  constructor(spec: ProcessSpec) {
    this.spec = spec;
    this.component = spec.component;
    this.logFile = spec.logFile;
    const log = openSync(spec.logFile, "a");
    try {
      this.child = spawn(spec.binary, spec.args, {
        stdio: ["ignore", log, log],
        detached: true,
        env: spec.env ?? process.env,
        ...(spec.cwd ? { cwd: spec.cwd } : {}),
      });
    } finally {
      closeSync(log);
    }
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve();
      });
      // A spawn error (missing binary, no permission) also means the process is gone.
      this.child.once("error", (error) => {
        this.exit = { code: -1, signal: null };
        this.spawnError = error;
        resolve();
      });
    });
    this.pid = this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  describeExit(): string {
    if (this.spawnError) return `could not be started (${this.spawnError.message})`;
    if (!this.exit) return "is running";
    return this.exit.signal
      ? `was killed by ${this.exit.signal}`
      : `exited with code ${this.exit.code ?? "unknown"}`;
  }

  /** SIGTERM, then SIGKILL after the grace period. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.signal("SIGTERM");
    const timer = setTimeout(() => {
      this.signal("SIGKILL");
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Synchronous last resort for process 'exit' handlers, where nothing can be awaited. */
  killNow(): void {
    if (this.running) this.signal("SIGKILL");
  }

  private signal(signal: NodeJS.Signals): void {
    // pid -1 means the spawn failed; kill(-(-1)) would signal init.
    if (this.pid <= 0) return;
    try {
      // Negative pid: the whole process group, in case a component spawned helpers.
      process.kill(-this.pid, signal);
    } catch {
      // Already gone.
    }
  }
}
