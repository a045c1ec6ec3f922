/** The boot script parses as sh, outside and inside the chroot (a stray quote would only show when an instance boots). */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { BOOT_SCRIPT } from "../../src/runtime/boot-script.js";

const parses = (script: string) => spawnSync("/bin/sh", ["-n", "-c", script], { encoding: "utf8" });

describe("the instance boot script", () => {
  it("parses, and so does the part that runs inside the instance's root", () => {
    const outer = parses(BOOT_SCRIPT);
    assert.equal(outer.status, 0, outer.stderr);
    const inner = /\/bin\/sh -c '([^']*)' sh /.exec(BOOT_SCRIPT);
    assert.ok(inner, "the chroot's script is one single-quoted argument");
    assert.ok(inner[1].includes("user-data.txt"));
    const result = parses(inner[1]);
    assert.equal(result.status, 0, result.stderr);
  });
});
