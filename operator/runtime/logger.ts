/**
 * Structured JSON logs. The operator handles the mesh's CA key, so the rule is: log
 * objects by identity (describeObject), never whole; redaction below is the safety net
 * for the line that forgets, not the mechanism.
 */
import { randomBytes } from "node:crypto";
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";

export interface LoggerOptions {
  readonly level?: string;
  /** Where lines go; stdout if absent. Tests pass a stream to read them back. */
  readonly destination?: DestinationStream;
}

// Secret and ConfigMap payloads, and the CA files by name, at the depths a log call
// reaches: logged directly, as a field (`{ secret }`), or one object further in.
const SECRET_KEYS = ['["ca-key.pem"]', '["key.pem"]', '["tls.key"]', "privateKey"];
const PAYLOAD_KEYS = ["data", "stringData", ...SECRET_KEYS];
export const REDACTED_PATHS: readonly string[] = PAYLOAD_KEYS.flatMap((key) => {
  const member = key.startsWith("[") ? key : `.${key}`;
  return [key, `*${member}`, `*.*${member}`];
});

export function createLogger(options: LoggerOptions = {}): Logger {
  const config = {
    level: options.level ?? "info",
    base: { name: "meshkeeper" },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Log collectors map a level name to severity; pino's numbers mean nothing to them.
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: [...REDACTED_PATHS], censor: "[Redacted]" },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

export interface ObjectRef {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

interface KubeObjectLike {
  readonly kind?: string | undefined;
  readonly metadata?:
    { readonly name?: string | undefined; readonly namespace?: string | undefined } | undefined;
}

/** A Kubernetes object reduced to what identifies it, safe to log whatever its kind. */
export function describeObject(object: KubeObjectLike): ObjectRef {
  const ref = { kind: object.kind ?? "unknown", name: object.metadata?.name ?? "" };
  const namespace = object.metadata?.namespace;
  return namespace ? { ...ref, namespace } : ref;
}

/** Short enough to read in a log line, random enough not to repeat within a day's logs. */
export function newReconcileId(): string {
  return randomBytes(4).toString("hex");
}

/**
 * The logger for one reconcile: every line carries the same reconcileId, the key, and
 * what queued it, so one reconcile's story can be grepped out of interleaved logs.
 */
export function reconcileLogger(
  parent: Logger,
  fields: { readonly key: string; readonly trigger: string; readonly reconcileId?: string },
): Logger {
  return parent.child({
    reconcileId: fields.reconcileId ?? newReconcileId(),
    key: fields.key,
    trigger: fields.trigger,
  });
}
