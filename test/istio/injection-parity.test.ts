/**
 * Injection parity with upstream Istio for a sidecar mesh (parity-suite.ts): every corpus
 * pod injected by our istiod and by one serving `istioctl manifest generate`'s templates
 * for the same settings must come out equal, but for the suite's accepted differences
 * (and docs/render.md). The mesh with the CNI agent is injection-parity-cni.test.ts.
 */
import { describeInjectionParity } from "./parity-suite.ts";

describeInjectionParity({
  title: "injection parity with upstream Istio",
  podNamespace: "injection-parity",
  referenceNamespace: "istio-parity-reference",
  referenceRevision: "parity-reference",
});
