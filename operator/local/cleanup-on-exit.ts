/**
 * Makes sure running control planes are stopped when our own process ends for any reason
 * short of SIGKILL (which the watchdog covers): normal exit, Ctrl-C, or SIGTERM.
 * Exit handlers cannot wait, so this path kills at once and removes folders synchronously.
 */
const liveCleanups = new Set<() => void>();
let installed = false;

function runAll(): void {
  for (const cleanup of liveCleanups) cleanup();
  liveCleanups.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  // Conventional exit status for "terminated by signal N": 128 + N.
  process.exit(signal === "SIGINT" ? 130 : 143);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once("exit", runAll);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
}

/** Registers a synchronous cleanup; returns the function that unregisters it. */
export function cleanupOnExit(cleanup: () => void): () => void {
  install();
  liveCleanups.add(cleanup);
  return () => liveCleanups.delete(cleanup);
}
