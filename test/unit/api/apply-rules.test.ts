/**
 * The rules that keep a spec from failing at apply, on the zod side (the same table runs
 * against the real API server in test/integration/meshconfig-api.test.ts): what they
 * refuse, what they must still accept, and exact quantity arithmetic.
 */
import { describe, expect, it } from "vitest";
import { compareQuantities, isWholeNumber, parseQuantity } from "../../../operator/api/quantity.ts";
import {
  describeProblems,
  validateMeshConfig,
  validateSpec,
} from "../../../operator/api/validate.ts";
import { APPLY_TIME_INVALID } from "../../fixtures/apply-time-invalid-meshconfigs.ts";

const q = (value: number | string) => {
  const parsed = parseQuantity(value);
  if (!parsed) throw new Error(`not a quantity: ${value}`);
  return parsed;
};

describe("exact quantities", () => {
  it.each([
    ["100m", "0.1", 0],
    ["1Ki", 1024, 0],
    ["1e3", "1k", 0],
    ["1Gi", "1000Mi", 1],
    ["2e9", "1G", 1],
    ["1.5", "1500m", 0],
    [".5", "499m", 1],
    ["1u", "1000n", 0],
    ["+1", 1, 0],
  ] as const)("%s compared with %s is %i", (a, b, expected) => {
    expect(compareQuantities(q(a), q(b))).toBe(expected);
  });

  it("tells whole numbers from fractions, and refuses what Kubernetes refuses", () => {
    expect(isWholeNumber(q("2"))).toBe(true);
    expect(isWholeNumber(q("2000m"))).toBe(true);
    expect(isWholeNumber(q("1500m"))).toBe(false);
    for (const bad of ["-1", "1e1.5", "1 Gi", "Gi", "1e", "1.2.3", -1, 0.5])
      expect(parseQuantity(bad)).toBeUndefined();
  });
});

describe("rules against apply-time failures", () => {
  it("refuses every object of the apply-time table", () => {
    for (const [what, body] of APPLY_TIME_INVALID)
      expect(validateMeshConfig(body as never).ok, what).toBe(false);
  });

  it.each([
    [
      "53/TCP and 53/UDP on one node port",
      {
        gateways: [
          {
            name: "dns",
            namespace: "edge",
            type: "ingress",
            service: {
              ports: [
                { name: "dns-tcp", port: 53, nodePort: 30053 },
                { name: "dns-udp", port: 53, nodePort: 30053, protocol: "UDP" },
              ],
            },
          },
        ],
      },
    ],
    [
      "one port number over two protocols",
      {
        gateways: [
          {
            name: "dns",
            namespace: "edge",
            type: "egress",
            service: {
              ports: [
                { name: "dns-tcp", port: 53 },
                { name: "dns-udp", port: 53, protocol: "UDP" },
              ],
            },
          },
        ],
      },
    ],
    [
      "a request equal to its limit in other units",
      { controlPlane: { resources: { requests: { cpu: "0.5" }, limits: { cpu: "500m" } } } },
    ],
    [
      "an extended resource with an equal request and limit",
      {
        controlPlane: {
          resources: { requests: { "example.com/gpu": 1 }, limits: { "example.com/gpu": "1" } },
        },
      },
    ],
    [
      "kubernetes.io resources and huge pages",
      {
        controlPlane: {
          resources: {
            requests: { "hugepages-2Mi": "4Mi", memory: "1Gi" },
            limits: { "hugepages-2Mi": "4Mi", "kubernetes.io/batteries": "500m" },
          },
        },
      },
    ],
    [
      "tolerations the API server accepts",
      {
        controlPlane: {
          tolerations: [
            { operator: "Exists" },
            { key: "k", operator: "Exists", effect: "NoSchedule" },
            { key: "k", value: "v", effect: "NoExecute", tolerationSeconds: 30 },
          ],
        },
      },
    ],
    [
      "a gateway in a namespace of its own",
      { gateways: [{ name: "g", namespace: "g", type: "ingress" }] },
    ],
    [
      "target port names with digits",
      {
        gateways: [
          {
            name: "g",
            namespace: "edge",
            type: "ingress",
            service: { ports: [{ name: "h", port: 80, targetPort: "8080-http" }] },
          },
        ],
      },
    ],
    ["a revision of 56 characters", { revision: "r".repeat(56) }],
  ])("accepts %s", (_what, extra) => {
    const result = validateSpec({ version: "1.29.2", ...extra });
    expect(result.ok ? "" : describeProblems(result.problems)).toBe("");
  });
});
