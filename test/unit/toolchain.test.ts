import { describe, expect, it } from "vitest";

describe("toolchain", () => {
  it("runs on the Node 24 the project pins, not the machine's own node", () => {
    expect(process.versions.node.split(".")[0]).toBe("24");
  });
});
