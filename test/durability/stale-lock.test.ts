/**
 * After a kill -9 the data dir's `stratus.pid` lock stays behind. A restart
 * must not be refused because that pid now belongs to some other process (as
 * happens in containers), while a Stratus that is really running still holds
 * the data dir.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { startStratus } from "../../src/index.js";

describe("the data dir lock after a crash", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stratus-lock-"));
  // A live process that is not Stratus, whose pid a stale lock will name.
  const other = spawn("sleep", ["60"], { stdio: "ignore" });
  after(() => {
    other.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("is taken over when its pid now names another process, and still refuses a running Stratus", async () => {
    const lock = path.join(dir, "stratus.pid");
    // Left by a Stratus that was killed: its pid was reused by `sleep`, started at another time.
    writeFileSync(lock, `${other.pid} 1`);
    const stratus = await startStratus({ port: 0, dataDir: dir, logLevel: "silent" });
    try {
      const [pid, started] = readFileSync(lock, "utf8").trim().split(" ");
      assert.equal(Number(pid), process.pid);
      assert.match(started, /^\d+$/, "the lock records the process start time");
    } finally {
      await stratus.stop();
    }
    // A lock naming a live process with its own start time is a running Stratus: refused.
    const stat = readFileSync(`/proc/${other.pid}/stat`, "utf8");
    writeFileSync(lock, `${other.pid} ${stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]}`);
    await assert.rejects(startStratus({ port: 0, dataDir: dir, logLevel: "silent" }), /data dir is in use by another Stratus/);
  });
});
