/**
 * A crash in the middle of a scheduled job's handler does not lose the job:
 * it runs again after the restart (a job leaves the table only once its
 * handler finished). A child process serves a test service whose handler
 * hangs the first time; it is SIGKILLed while the handler hangs, restarted
 * with a handler that finishes, and the job runs exactly once more.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { freePort } from "./child.js";

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The child: Stratus with one extra service whose "crashy.job" handler records its runs. */
const CHILD = `
import { startStratus } from ${JSON.stringify(path.join(DIST, "src/index.js"))};
import { SERVICES } from ${JSON.stringify(path.join(DIST, "src/services/registry.js"))};
const mode = process.env.MODE;
const crashy = {
  name: "crashy", signingNames: [], validation: "none",
  createProvider: (cloud) => ({
    cloud,
    onStart() {
      const runs = cloud.documents.collection("crashy", "runs").scope({ account: "global", region: "global" });
      cloud.scheduler.on("crashy.job", async (job) => {
        runs.put(mode + "-" + runs.size, { at: cloud.clock.now(), due: job.due });
        if (mode === "hang") await new Promise(() => undefined);
      });
      if (mode === "hang" && !cloud.scheduler.get("crashy")) cloud.scheduler.schedule({ kind: "crashy.job", key: "crashy", due: cloud.clock.now() + 3600000 });
    },
  }),
};
await startStratus({ port: Number(process.env.PORT), dataDir: process.env.DATA_DIR, clock: "virtual", clockStart: process.env.CLOCK_START || undefined, logLevel: "silent", services: [...SERVICES, crashy] });
`;

describe("scheduler: a crash during a job's handler", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "stratus-sched-crash-"));
  let child: ChildProcess | undefined;
  after(() => {
    child?.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(mode: string, port: number, clockStart = ""): Promise<ChildProcess> {
    const proc = spawn(process.execPath, ["--input-type=module", "-e", CHILD], { env: { ...process.env, MODE: mode, PORT: String(port), DATA_DIR: dataDir, CLOCK_START: clockStart }, stdio: ["ignore", "ignore", "inherit"] });
    for (let i = 0; i < 400; i++) {
      if (proc.exitCode !== null) throw new Error(`child exited with ${proc.exitCode}`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/_stratus/health`)).ok) return proc;
      } catch {
        // not yet listening
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("child did not start");
  }

  function runs(): string[] {
    const db = new Database(path.join(dataDir, "stratus.db"), { readonly: true });
    try {
      return (db.prepare("SELECT id FROM documents WHERE service = 'crashy' ORDER BY id").all() as Array<{ id: string }>).map((r) => r.id);
    } finally {
      db.close();
    }
  }

  it("runs the job again after the restart, once", async () => {
    const port = await freePort();
    child = await start("hang", port, "2030-05-01T00:00:00Z");
    // The jump runs the job; its handler hangs, so the jump never answers.
    void fetch(`http://127.0.0.1:${port}/_stratus/clock`, { method: "POST", body: JSON.stringify({ advance: "2h" }) }).catch(() => undefined);
    for (let i = 0; runs().length === 0; i++) {
      assert.ok(i < 400, "the handler started");
      await new Promise((r) => setTimeout(r, 25));
    }
    const killed = child;
    const exited = new Promise((r) => killed.once("exit", r));
    killed.kill("SIGKILL");
    await exited;

    child = await start("finish", port);
    const resumed = Date.parse(((await (await fetch(`http://127.0.0.1:${port}/_stratus/clock`)).json()) as { now: string }).now);
    assert.ok(resumed >= Date.parse("2030-05-01T01:00:00Z"), `the clock resumed no earlier than the job that ran before the crash (${new Date(resumed).toISOString()})`);
    const clock = await fetch(`http://127.0.0.1:${port}/_stratus/clock`, { method: "POST", body: JSON.stringify({ advance: "1m" }) });
    assert.equal(clock.status, 200);
    assert.deepEqual(runs(), ["finish-1", "hang-0"], "the interrupted job ran again after the restart");
    const state = (await (await fetch(`http://127.0.0.1:${port}/_stratus/clock`)).json()) as { pendingJobs: number };
    assert.equal(state.pendingJobs, 0, "and then left the queue");
    await fetch(`http://127.0.0.1:${port}/_stratus/clock`, { method: "POST", body: JSON.stringify({ advance: "1d" }) });
    assert.deepEqual(runs(), ["finish-1", "hang-0"], "only once");
  });
});
