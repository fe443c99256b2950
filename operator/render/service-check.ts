/**
 * Service rules the API server applies on create (ValidateService and node port
 * allocation), checked on the rendered Services before anything is written: at least one
 * port, port numbers unique per protocol, node ports only on NodePort and LoadBalancer
 * Services, one node port per port number, and node ports unique across the cluster
 * (gateways in different namespaces cannot share one; no CEL rule can compare them all).
 */
import type { MeshConfigSpec } from "../api/mesh-config-spec.ts";
import type { FieldProblem } from "../api/validate.ts";
import { describeObject, originOf } from "./origin.ts";
import type { RenderedObject } from "./render.ts";

interface ServicePort {
  readonly port: number;
  readonly protocol?: string;
  readonly nodePort?: number;
}

interface ServiceSpec {
  readonly type?: string;
  readonly ports?: readonly ServicePort[];
}

const serviceSpec = (r: RenderedObject) => (r.object.spec ?? {}) as ServiceSpec;

/** Where a port of a rendered Service is written in the spec. */
function portPath(spec: MeshConfigSpec, rendered: RenderedObject, index: number): string {
  const origin = originOf(spec, rendered);
  if (origin.gateway === undefined) return `${origin.path}: ${describeObject(rendered)}`;
  const own = spec.gateways?.[origin.gateway]?.service?.ports !== undefined;
  // Default ports have no field of their own: name the list the user would write.
  return own ? `${origin.path}.service.ports[${index}]` : `${origin.path}.service.ports`;
}

function withinService(spec: MeshConfigSpec, rendered: RenderedObject): FieldProblem[] {
  const { type = "ClusterIP", ports = [] } = serviceSpec(rendered);
  const problems: FieldProblem[] = [];
  const where = (i: number) => portPath(spec, rendered, i);
  if (ports.length === 0)
    problems.push({ path: where(0), message: `${describeObject(rendered)} has no port` });
  ports.forEach((p, i) => {
    const protocol = p.protocol ?? "TCP";
    if (ports.some((q, j) => j < i && q.port === p.port && (q.protocol ?? "TCP") === protocol))
      problems.push({ path: `${where(i)}.port`, message: `port ${p.port}/${protocol} is taken` });
    if (p.nodePort === undefined) return;
    if (type === "ClusterIP")
      problems.push({
        path: `${where(i)}.nodePort`,
        message: "a node port needs a NodePort or LoadBalancer Service",
      });
    if (ports.some((q, j) => j < i && q.nodePort === p.nodePort && q.port !== p.port))
      problems.push({
        path: `${where(i)}.nodePort`,
        message: `node port ${p.nodePort} is taken by another port number of the Service`,
      });
  });
  return problems;
}

/** Node ports are one range for the whole cluster: no two rendered Services may share one. */
function acrossServices(spec: MeshConfigSpec, services: readonly RenderedObject[]) {
  const owners = new Map<number, { service: RenderedObject; index: number }>();
  const problems: FieldProblem[] = [];
  for (const service of services) {
    const taken = new Set<number>();
    serviceSpec(service).ports?.forEach((p, index) => {
      if (p.nodePort === undefined || taken.has(p.nodePort)) return;
      taken.add(p.nodePort);
      const first = owners.get(p.nodePort);
      if (!first) {
        owners.set(p.nodePort, { service, index });
        return;
      }
      problems.push({
        path: `${portPath(spec, service, index)}.nodePort`,
        message: `node port ${p.nodePort} is also taken by ${portPath(spec, first.service, first.index)} (${describeObject(first.service)}); node ports are unique across the cluster`,
      });
    });
  }
  return problems;
}

export function checkServices(
  spec: MeshConfigSpec,
  rendered: readonly RenderedObject[],
): FieldProblem[] {
  const services = rendered.filter(
    (r) => r.object.kind === "Service" && r.object.apiVersion === "v1",
  );
  return [...services.flatMap((s) => withinService(spec, s)), ...acrossServices(spec, services)];
}
