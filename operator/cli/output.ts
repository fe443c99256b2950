/**
 * `-o yaml|json` for the commands whose output is data (render, crds, status, cluster
 * status, version), printed the way kubectl prints it: one object as itself, several as
 * YAML documents or as one JSON `List`, so the output pipes into `kubectl apply -f -`,
 * `jq` or `yq` unchanged.
 */
import { stringify } from "yaml";

export type DataFormat = "yaml" | "json";

/** One value, as a YAML document or indented JSON, ending with a newline. */
export function formatValue(value: unknown, format: DataFormat): string {
  return format === "json"
    ? `${JSON.stringify(value, null, 2)}\n`
    : stringify(value, { lineWidth: 0, compat: "yaml-1.1" });
}

/** Kubernetes objects: YAML documents each after `---`, or one JSON v1 List. */
export function formatObjects(objects: readonly object[], format: DataFormat): string {
  if (format === "json")
    return formatValue({ apiVersion: "v1", kind: "List", items: objects }, "json");
  return objects.map((object) => `---\n${formatValue(object, "yaml")}`).join("");
}
