/**
 * Every failure of the local control plane is one of these: a single sentence that names
 * what failed, why, and what to do about it. The CLI prints `message` and nothing else,
 * so a person never has to read a stack trace to know the next step.
 */
export class LocalClusterError extends Error {
  readonly hint: string;

  constructor(what: string, hint: string, options?: { cause?: unknown }) {
    super(`${what}\n  → ${hint}`, options);
    this.name = "LocalClusterError";
    this.hint = hint;
  }
}
