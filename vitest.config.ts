import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          // Some unit tests generate CRDs from TypeScript declarations or run property
          // tests: seconds each, more on a loaded 2-core machine.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          // One real control plane for the whole run, started before any test file.
          globalSetup: ["test/integration/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Files share one API server; running them one at a time keeps them independent.
          fileParallelism: false,
        },
      },
      {
        test: {
          // The real-Istio tier: Istio's own istiod and istioctl, built from tools/istio, on
          // the operator's mesh. Run after the other tiers (npm test), never beside them.
          name: "istio",
          include: ["test/istio/**/*.test.ts"],
          globalSetup: ["test/istio/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
