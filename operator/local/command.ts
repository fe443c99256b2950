/**
 * Runs a short-lived command to completion and captures its output. Used for the Go
 * toolchain steps of the build; long-running components use process.ts instead.
 */
import { spawn } from "node:child_process";
import { cleanupOnExit } from "./cleanup-on-exit.ts";
import { LocalClusterError } from "./errors.ts";

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Called with each complete line the command writes to stderr. */
  readonly onStderrLine?: (line: string) => void;
  /** What to tell the person when the program itself is not installed. */
  readonly missingHint: string;
}

function splitLines(onLine: (line: string) => void): (chunk: string) => void {
  let pending = "";
  return (chunk) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  };
}

export function runCommand(
  program: string,
  args: readonly string[],
  options: CommandOptions,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    // If we are interrupted, the command (a long `go build`, say) must not run on alone.
    const unregister = cleanupOnExit(() => child.kill("SIGKILL"));
    let stdout = "";
    let stderr = "";
    const feedLines = options.onStderrLine ? splitLines(options.onStderrLine) : undefined;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      feedLines?.(chunk);
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      unregister();
      if (error.code === "ENOENT") {
        reject(new LocalClusterError(`${program} was not found on PATH`, options.missingHint));
      } else reject(error);
    });
    child.on("close", (code) => {
      unregister();
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** The last few lines of a command's output, for error messages that stay readable. */
export function tail(text: string, lines = 15): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
