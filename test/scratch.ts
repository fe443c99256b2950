/**
 * Temporary folders for tests, removed when the test file finishes, so a test run leaves
 * nothing behind in the temp directory.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

const created: string[] = [];

afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function scratchDir(purpose: string): string {
  const dir = mkdtempSync(join(tmpdir(), `meshkeeper-test-${purpose}-`));
  created.push(dir);
  return dir;
}
