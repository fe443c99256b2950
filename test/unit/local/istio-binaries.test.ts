/**
 * The real-Istio tier's binaries are found like the control plane's (TEST_ASSET_<NAME>,
 * then the cache keyed by version), stamped with the Istio release they come from, and
 * our helpers' cache key follows their sources, so an edited helper is rebuilt.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { testAssetVariable } from "../../../operator/local/assets.ts";
import { linkerFlags } from "../../../operator/local/build.ts";
import { ISTIO_BUILD_VERSION, ISTIO_MODULE_VERSION } from "../../../operator/local/components.ts";
import { istioBinarySpecs } from "../../../operator/local/istio-binaries.ts";

describe("Istio binaries", () => {
  const specs = istioBinarySpecs();

  it("pins the istio.io/istio version tools/istio/go.mod requires", () => {
    const goMod = readFileSync(new URL("../../../tools/istio/go.mod", import.meta.url), "utf8");
    expect(goMod).toContain(`istio.io/istio ${ISTIO_MODULE_VERSION}`);
    // The 1.31 line: its go.mod asks for istio.io/api 1.31.
    expect(goMod).toMatch(/istio\.io\/api v1\.31\./);
    expect(ISTIO_BUILD_VERSION).toMatch(/^1\.31\./);
  });

  it("are looked for under TEST_ASSET_<NAME> like every other binary", () => {
    expect(testAssetVariable(specs.pilotDiscovery)).toBe("TEST_ASSET_PILOT_DISCOVERY");
    expect(testAssetVariable(specs.istioctl)).toBe("TEST_ASSET_ISTIOCTL");
    expect(testAssetVariable(specs.xdsClient)).toBe("TEST_ASSET_XDS_CLIENT");
    expect(testAssetVariable(specs.istioCaClient)).toBe("TEST_ASSET_ISTIO_CA_CLIENT");
  });

  it("stamp the Istio release into pilot-discovery and istioctl", () => {
    expect(linkerFlags(specs.pilotDiscovery)).toContain(
      `-X istio.io/istio/pkg/version.buildVersion=${ISTIO_BUILD_VERSION}`,
    );
    expect(specs.pilotDiscovery.version).toBe(ISTIO_MODULE_VERSION);
  });

  it("key our helpers by their sources as well as the Istio pin", () => {
    expect(specs.xdsClient.version).toMatch(new RegExp(`^${ISTIO_MODULE_VERSION}-[0-9a-f]{12}$`));
    expect(specs.istioCaClient.version).not.toBe(specs.xdsClient.version);
    expect(istioBinarySpecs().xdsClient.version).toBe(specs.xdsClient.version);
  });
});
