/** The virtual Clock and the persisted Scheduler, on their own. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { parseDuration, SystemClock, VirtualClock } from "../../src/clock/clock.js";
import { Scheduler, type Job } from "../../src/clock/scheduler.js";
import { Database } from "../../src/state/database.js";

const START = Date.parse("2026-01-01T00:00:00Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const quiet = { error: () => undefined };

function setup(file?: string) {
  const db = new Database(file);
  const clock = new VirtualClock(START);
  const scheduler = new Scheduler(db, clock, quiet);
  return { db, clock, scheduler };
}

describe("Clock", () => {
  it("parses durations the CLI accepts", () => {
    assert.equal(parseDuration("90d"), 90 * DAY);
    assert.equal(parseDuration("1d12h"), 36 * HOUR);
    assert.equal(parseDuration("45m"), 45 * 60_000);
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("2w"), 14 * DAY);
    assert.equal(parseDuration(1234), 1234);
    assert.throws(() => parseDuration("soon"), /invalid duration/);
    assert.throws(() => parseDuration("10x"), /invalid duration/);
    assert.throws(() => parseDuration(-5), /invalid duration/);
  });

  it("starts a virtual clock where told and moves it only on request", () => {
    const clock = new VirtualClock(START);
    assert.ok(Math.abs(clock.now() - START) < 5_000);
    clock.setNow(START + 90 * DAY);
    assert.ok(clock.now() >= START + 90 * DAY && clock.now() < START + 90 * DAY + 5_000);
    assert.equal(new SystemClock().mode, "system");
  });
});

describe("Scheduler", () => {
  it("runs jobs in due order, ties in the order they were scheduled, with the clock at each due time", async () => {
    const { db, clock, scheduler } = setup();
    const runs: Array<[string, number]> = [];
    scheduler.on<{ name: string }>("test", (job) => {
      runs.push([job.payload.name, clock.now() - job.due]);
    });
    scheduler.schedule({ kind: "test", due: START + 3 * HOUR, payload: { name: "c" } });
    scheduler.schedule({ kind: "test", due: START + 1 * HOUR, payload: { name: "a" } });
    scheduler.schedule({ kind: "test", due: START + 2 * HOUR, payload: { name: "b1" } });
    scheduler.schedule({ kind: "test", due: START + 2 * HOUR, payload: { name: "b2" } });
    scheduler.schedule({ kind: "test", due: START + 30 * DAY, payload: { name: "later" } });
    await scheduler.advanceTo(START + 1 * DAY);
    assert.deepEqual(
      runs.map(([name]) => name),
      ["a", "b1", "b2", "c"],
    );
    for (const [name, lag] of runs) assert.equal(lag, 0, `${name} ran ${lag}ms after its due time`);
    assert.equal(scheduler.pendingCount, 1);
    assert.ok(clock.now() >= START + DAY);
    db.close();
  });

  it("runs jobs scheduled inside a jump at their own due time, within the same jump", async () => {
    const { db, clock, scheduler } = setup();
    const seen: string[] = [];
    scheduler.on<{ step: number }>("chain", (job) => {
      seen.push(`${job.payload.step}@${Math.round((clock.now() - START) / HOUR)}h`);
      if (job.payload.step < 3) scheduler.schedule({ kind: "chain", due: job.due + 5 * HOUR, payload: { step: job.payload.step + 1 } });
    });
    scheduler.on("marker", () => {
      seen.push(`marker@${Math.round((clock.now() - START) / HOUR)}h`);
    });
    scheduler.schedule({ kind: "chain", due: START + HOUR, payload: { step: 1 } });
    scheduler.schedule({ kind: "marker", due: START + 8 * HOUR });
    await scheduler.advanceTo(START + DAY);
    assert.deepEqual(seen, ["1@1h", "2@6h", "marker@8h", "3@11h"]);
    db.close();
  });

  it("runs a daily recurring job exactly 90 times, in order, over a 90-day jump", async () => {
    const { db, clock, scheduler } = setup();
    const days: number[] = [];
    scheduler.on<{ day: number }>("daily", (job) => {
      days.push(job.payload.day);
      assert.equal(clock.now(), job.due);
      scheduler.schedule({ kind: "daily", key: "daily-snapshot", due: job.due + DAY, payload: { day: job.payload.day + 1 } });
    });
    scheduler.schedule({ kind: "daily", key: "daily-snapshot", due: START + 3 * HOUR, payload: { day: 1 } });
    await scheduler.advanceTo(START + 90 * DAY);
    assert.equal(days.length, 90);
    assert.deepEqual(days, Array.from({ length: 90 }, (_, i) => i + 1));
    assert.equal(scheduler.get("daily-snapshot")?.payload && (scheduler.get("daily-snapshot")!.payload as { day: number }).day, 91);
    assert.equal(scheduler.pendingCount, 1);
    db.close();
  });

  it("replaces jobs by key, cancels by key and by prefix", async () => {
    const { db, scheduler } = setup();
    const ran: string[] = [];
    scheduler.on<string>("k", (job) => {
      ran.push(job.payload);
    });
    scheduler.schedule({ kind: "k", key: "policy-1/create", due: START + HOUR, payload: "old" });
    scheduler.schedule({ kind: "k", key: "policy-1/create", due: START + 2 * HOUR, payload: "new" });
    scheduler.schedule({ kind: "k", key: "policy-1/retain", due: START + 2 * HOUR, payload: "retain" });
    scheduler.schedule({ kind: "k", key: "policy-2/create", due: START + 2 * HOUR, payload: "other" });
    scheduler.schedule({ kind: "k", key: "gone", due: START + 2 * HOUR, payload: "gone" });
    assert.equal(scheduler.pendingCount, 4);
    assert.equal(scheduler.cancel("gone"), true);
    assert.equal(scheduler.cancel("gone"), false);
    assert.equal(scheduler.cancelPrefix("policy-1/"), 2);
    await scheduler.advanceTo(START + DAY);
    assert.deepEqual(ran, ["other"]);
    db.close();
  });

  it("keeps a job whose kind has no handler until one is registered, and survives a failing handler", async () => {
    const { db, scheduler } = setup();
    scheduler.schedule({ kind: "later-kind", due: START + HOUR, payload: 1 });
    scheduler.schedule({ kind: "boom", due: START + HOUR });
    scheduler.schedule({ kind: "after-boom", due: START + 2 * HOUR });
    let afterBoom = 0;
    scheduler.on("boom", () => {
      throw new Error("handler failure");
    });
    scheduler.on("after-boom", () => {
      afterBoom++;
    });
    await scheduler.advanceTo(START + DAY);
    assert.equal(afterBoom, 1);
    assert.equal(scheduler.pendingCount, 1);
    const late: Job[] = [];
    scheduler.on("later-kind", (job) => {
      late.push(job);
    });
    await scheduler.runDue();
    assert.equal(late.length, 1);
    assert.equal(scheduler.pendingCount, 0);
    db.close();
  });

  it("moves a virtual clock back without running anything, and refuses to jump a system clock", async () => {
    const { db, clock, scheduler } = setup();
    let runs = 0;
    scheduler.on("x", () => {
      runs++;
    });
    scheduler.schedule({ kind: "x", due: START - HOUR });
    await scheduler.advanceTo(START - DAY);
    assert.ok(clock.now() < START - DAY + 5_000);
    assert.equal(runs, 0);
    const system = new Scheduler(db, new SystemClock(), quiet);
    await assert.rejects(system.advanceTo(Date.now() + DAY), /system clock/);
    db.close();
  });

  it("persists jobs: a scheduler opened on the same database runs them", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "stratus-scheduler-"));
    try {
      const file = path.join(dir, "stratus.db");
      const first = setup(file);
      first.scheduler.schedule({ kind: "persisted", key: "p", due: START + 5 * DAY, payload: { bucket: "ml-models", at: new Date(START) }, account: "000000000000", region: "us-west-2" });
      first.scheduler.schedule({ kind: "persisted", due: START + 6 * DAY, payload: { bucket: "second" } });
      first.db.close();

      const second = setup(file);
      assert.equal(second.scheduler.pendingCount, 2);
      const runs: Job[] = [];
      second.scheduler.on("persisted", (job) => {
        runs.push(job);
      });
      await second.scheduler.advanceTo(START + 10 * DAY);
      assert.equal(runs.length, 2);
      assert.equal(runs[0].key, "p");
      assert.equal(runs[0].account, "000000000000");
      assert.equal(runs[0].region, "us-west-2");
      assert.deepEqual(runs[0].payload, { bucket: "ml-models", at: new Date(START) });
      assert.equal((runs[1].payload as { bucket: string }).bucket, "second");
      second.db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("started on a clock frozen where a jump was cut off, runs what is due then at that instant, then lets time flow", async () => {
    const { db, clock, scheduler } = setup();
    const seen: Array<[string, number]> = [];
    scheduler.on<{ name: string }>("resume", (job) => {
      seen.push([job.payload.name, clock.now() - START]);
    });
    scheduler.schedule({ kind: "resume", due: START, payload: { name: "cut-off" } });
    scheduler.schedule({ kind: "resume", due: START - HOUR, payload: { name: "overdue" } });
    scheduler.schedule({ kind: "resume", due: START + HOUR, payload: { name: "later" } });
    clock.freeze(START);
    // Start-up takes a while; the frozen clock does not move meanwhile.
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(clock.now(), START);
    scheduler.start();
    await scheduler.idle();
    assert.deepEqual(seen, [["overdue", 0], ["cut-off", 0]]);
    assert.equal(clock.frozen, undefined, "time flows again");
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(clock.now() > START && clock.now() < START + HOUR);
    assert.equal(scheduler.pendingCount, 1);
    scheduler.stop();
    db.close();
  });
});

describe("Scheduler: a job leaves the table only when its handler is done", () => {
  it("hides the running job from get() and pendingCount, keeps a key its handler scheduled anew, drops it otherwise", async () => {
    const { db, clock, scheduler } = setup();
    const seen: Array<[boolean, number]> = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    scheduler.on("periodic", async (job) => {
      // The "ensure it is scheduled" pattern: the running job does not count as scheduled.
      seen.push([scheduler.get("periodic") !== undefined, scheduler.pendingCount]);
      if (!scheduler.get("periodic") && job.due < START + 3 * HOUR) scheduler.schedule({ kind: "periodic", key: "periodic", due: job.due + HOUR });
      await gate;
    });
    scheduler.on("once", () => undefined);
    scheduler.schedule({ kind: "periodic", key: "periodic", due: START + HOUR });
    scheduler.schedule({ kind: "once", due: START + 30 * 60_000 });
    const jump = scheduler.advanceTo(START + 5 * HOUR);
    await new Promise((r) => setTimeout(r, 20));
    // While the first periodic run waits, its row is still in the table (a crash would run it again).
    const rows = db.sql.prepare("SELECT kind, due FROM scheduler_jobs ORDER BY due").all() as Array<{ kind: string; due: number }>;
    assert.deepEqual(rows, [{ kind: "periodic", due: START + 2 * HOUR }]);
    release();
    await jump;
    assert.deepEqual(seen, [[false, 0], [false, 0], [false, 0]]);
    assert.equal(scheduler.pendingCount, 0);
    assert.ok(clock.now() >= START + 5 * HOUR);
    db.close();
  });
});
