/**
 * Finding things in what istiod sent one proxy (xdsFor's dump: Envoy's proto JSON with
 * proto field names, as config_dump prints them): listeners, filter chains, the HTTP
 * connection manager and its filters, route configurations, clusters. Each lookup fails
 * with the names that were there, so a wrong expectation reads as a diff, not `undefined`.
 */
import { TYPE, type XdsDump } from "./real-istio.ts";

export type Envoy = Record<string, any>;

export const HCM = "envoy.filters.network.http_connection_manager";
export const HTTP_RBAC = "envoy.filters.http.rbac";
export const NETWORK_RBAC = "envoy.filters.network.rbac";
export const FAULT = "envoy.filters.http.fault";

function named(items: Envoy[], name: string, what: string): Envoy {
  const found = items.find((item) => item.name === name);
  if (!found)
    throw new Error(
      `no ${what} ${name}; there are: ${items.map((i) => String(i.name)).join(", ")}`,
    );
  return found;
}

export function listeners(dump: XdsDump): Envoy[] {
  return dump[TYPE.listener] ?? [];
}

export function listener(dump: XdsDump, name: string): Envoy {
  return named(listeners(dump), name, "listener");
}

export function routeConfig(dump: XdsDump, name: string): Envoy {
  return named(dump[TYPE.route] ?? [], name, "route configuration");
}

export function cluster(dump: XdsDump, name: string): Envoy {
  return named(dump[TYPE.cluster] ?? [], name, "cluster");
}

/** Like `cluster`, for a check that waits: undefined until istiod sends it. */
export function clusterIfAny(dump: XdsDump, name: string): Envoy | undefined {
  return ((dump[TYPE.cluster] ?? []) as Envoy[]).find((c) => c.name === name);
}

export function filterChains(from: Envoy): Envoy[] {
  return (from.filter_chains ?? []) as Envoy[];
}

/** The filter chains of a listener that serve one destination port. */
export function chainsForPort(from: Envoy, port: number): Envoy[] {
  return filterChains(from).filter((chain) => chain.filter_chain_match?.destination_port === port);
}

/** The HTTP connection manager of a filter chain, if it has one. */
export function connectionManager(chain: Envoy): Envoy | undefined {
  return ((chain.filters ?? []) as Envoy[]).find((f) => f.name === HCM)?.typed_config;
}

/** Every HTTP connection manager of a listener (its chains and its default chain). */
export function connectionManagers(from: Envoy): Envoy[] {
  const chains = [
    ...filterChains(from),
    ...(from.default_filter_chain ? [from.default_filter_chain] : []),
  ];
  return chains.flatMap((chain: Envoy) => connectionManager(chain) ?? []);
}

export function httpFilter(manager: Envoy, name: string): Envoy {
  return named((manager.http_filters ?? []) as Envoy[], name, "HTTP filter");
}

/** The virtual host of a route configuration that answers for `domain`. */
export function virtualHost(config: Envoy, domain: string): Envoy {
  const hosts = (config.virtual_hosts ?? []) as Envoy[];
  const found = hosts.find((host) => ((host.domains ?? []) as string[]).includes(domain));
  if (!found)
    throw new Error(
      `no virtual host for ${domain} in route ${String(config.name)}; there are: ${hosts
        .map((h) => String(h.name))
        .join(", ")}`,
    );
  return found;
}

/**
 * The RBAC filters (network and HTTP) of some filter chains, each with its policies by name
 * and its action (an ALLOW filter without policies allows nothing).
 */
export interface RbacFilter {
  readonly name: string;
  readonly action: string;
  readonly policies: Record<string, Envoy>;
}

/** Istio's policy that never matches: what an ALLOW policy without rules (allow-nothing) becomes. */
export const MATCH_NEVER = {
  permissions: [{ not_rule: { any: true } }],
  principals: [{ not_id: { any: true } }],
};

/** An ALLOW filter whose every policy never matches: it allows nothing. */
export function allowsNothing(filter: RbacFilter): boolean {
  return (
    filter.action === "ALLOW" &&
    Object.values(filter.policies).every(
      (policy) => JSON.stringify(policy) === JSON.stringify(MATCH_NEVER),
    )
  );
}

function rbacFilter(filter: Envoy): RbacFilter {
  const rules = filter.typed_config?.rules as Envoy | undefined;
  return {
    name: filter.name as string,
    // An absent action is Envoy's default, ALLOW (proto JSON leaves enum zero out).
    action: (rules?.action as string | undefined) ?? "ALLOW",
    policies: (rules?.policies ?? {}) as Record<string, Envoy>,
  };
}

export function rbacFilters(chains: Envoy[]): RbacFilter[] {
  return chains.flatMap((chain) => {
    const manager = connectionManager(chain);
    const filters = [
      ...((chain.filters ?? []) as Envoy[]),
      ...((manager?.http_filters ?? []) as Envoy[]),
    ];
    return filters.filter((f) => f.name === NETWORK_RBAC || f.name === HTTP_RBAC).map(rbacFilter);
  });
}
