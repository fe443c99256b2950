/**
 * `npm run demo -- --sample gateway-api` as a person runs it, on the real local control
 * plane: the mesh of config/samples/gateway-api.yaml Ready, then its ingress example
 * (config/samples/gateway-api/: Gateway of class istio, HTTPRoute, backend, policies)
 * applied, with nothing to deploy the Gateway; then the same with `--istiod`, where the
 * real istiod's deployment controller deploys it: Deployment and Service shop-istio, the
 * Deployment Available on KWOK, the Gateway and the HTTPRoute Accepted by istiod.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { locateBinary } from "../../operator/local/assets.ts";
import { BINARIES } from "../../operator/local/components.ts";
import { scratchDir } from "../scratch.ts";

const run = promisify(execFile);
const MAIN = new URL("../../operator/cli/main.ts", import.meta.url).pathname;
const env = { ...process.env, MESHKEEPER_STATE_DIR: scratchDir("demo-gateway-api") };

async function meshkeeper(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [MAIN, ...args], { env });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: `${failed.stdout}\n${failed.stderr}` };
  }
}

/** kubectl with the demo's KUBECONFIG, as the demo tells a person to run it. */
async function kubectl(kubeconfig: string, ...args: string[]): Promise<string> {
  const binary = locateBinary(BINARIES.kubectl)?.path ?? "kubectl";
  const { stdout } = await run(binary, args, { env: { ...env, KUBECONFIG: kubeconfig } });
  return stdout;
}

interface Listed {
  items: {
    kind: string;
    metadata: { name: string };
    status?: {
      conditions?: { type: string; status: string }[];
      parents?: { conditions?: { type: string; status: string }[] }[];
    };
  }[];
}

const conditionOf = (item: Listed["items"][number], type: string) =>
  item.status?.conditions?.find((c) => c.type === type)?.status;

afterAll(async () => {
  await meshkeeper("cluster", "down");
});

describe("the demo's Gateway API sample", () => {
  let kubeconfig = "";

  it("applies the mesh and the ingress example; without a real istiod nothing deploys it", async () => {
    const demo = await meshkeeper("demo", "--sample", "gateway-api");
    expect(demo.code, demo.stdout).toBe(0);
    expect(demo.stdout).toContain("applied config/samples/gateway-api.yaml");
    expect(demo.stdout).toMatch(/^Ready\s+True\s+MeshReady/m);
    expect(demo.stdout).toContain(
      "applied config/samples/gateway-api/: Namespace shop, Deployment shop/cart, Service shop/cart, " +
        "Gateway shop/shop, HTTPRoute shop/cart, AuthorizationPolicy shop/allow-ingress, " +
        "AuthorizationPolicy shop/allow-gateway-to-cart",
    );
    expect(demo.stdout).toContain("no controller deploys Gateway shop/shop");
    expect(demo.stdout).toContain(
      "kubectl -n shop get gateway,httproute,deployments,services,authorizationpolicies",
    );
    kubeconfig = /export KUBECONFIG=(\S+)/.exec(demo.stdout)?.[1] ?? "";

    // The example is on the cluster as written, and nothing answered for class istio.
    const listed = JSON.parse(
      await kubectl(kubeconfig, "-n", "shop", "get", "gateway,httproute,deployments", "-o", "json"),
    ) as Listed;
    expect(listed.items.map((i) => `${i.kind}/${i.metadata.name}`).sort()).toEqual([
      "Deployment/cart",
      "Gateway/shop",
      "HTTPRoute/cart",
    ]);
    const gateway = listed.items.find((i) => i.kind === "Gateway");
    expect(gateway && conditionOf(gateway, "Accepted")).not.toBe("True");
    const classes = await kubectl(kubeconfig, "get", "gatewayclasses", "-o", "name");
    expect(classes.trim()).toBe("");
  }, 300_000);

  it("with --istiod, the real istiod deploys the Gateway: shop-istio Available, Accepted", async () => {
    const demo = await meshkeeper("demo", "--sample", "gateway-api", "--istiod");
    expect(demo.code, demo.stdout).toBe(0);
    expect(demo.stdout).toMatch(/real istiod started/);
    // What a person sees of the gateway (Programmed as istiod reports it).
    console.error(
      demo.stdout
        .split("\n")
        .filter((l) => l.startsWith("Gateway "))
        .join("\n"),
    );
    expect(demo.stdout).toMatch(
      /Gateway shop\/shop Accepted, deployed by istiod: Deployment shop\/shop-istio Available/,
    );
    const routes = JSON.parse(
      await kubectl(kubeconfig, "-n", "shop", "get", "gateway,httproute", "-o", "json"),
    ) as Listed;
    const deployed = JSON.parse(
      await kubectl(
        kubeconfig,
        "-n",
        "shop",
        "get",
        "deployment/shop-istio",
        "service/shop-istio",
        "serviceaccount/shop-istio",
        "-o",
        "json",
      ),
    ) as Listed;
    const listed = { items: [...routes.items, ...deployed.items] };
    const byKind = Object.fromEntries(listed.items.map((i) => [i.kind, i]));
    expect(Object.keys(byKind).sort()).toEqual([
      "Deployment",
      "Gateway",
      "HTTPRoute",
      "Service",
      "ServiceAccount",
    ]);
    expect(byKind.Deployment && conditionOf(byKind.Deployment, "Available")).toBe("True");
    expect(byKind.Gateway && conditionOf(byKind.Gateway, "Accepted")).toBe("True");
    const route = byKind.HTTPRoute?.status?.parents?.[0]?.conditions ?? [];
    expect(route.find((c) => c.type === "Accepted")?.status).toBe("True");
    const classes = await kubectl(kubeconfig, "get", "gatewayclasses", "-o", "name");
    expect(classes).toContain("gatewayclass.gateway.networking.k8s.io/istio");
  }, 300_000);
});
