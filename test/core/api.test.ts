/** The programmatic API (startStratus) and Stratus's own endpoints under /_stratus. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CreateRoleCommand, GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { startStratus, VERSION } from "../../src/index.js";
import { sdkConfig } from "../support/stratus.js";

const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });

async function json(url: string, init?: RequestInit) {
  const response = await fetch(url, init);
  return { status: response.status, type: response.headers.get("content-type"), body: await response.json() };
}

describe("startStratus", () => {
  it("starts on a free port with in-memory state and a virtual clock, and stops cleanly (twice is fine)", async () => {
    const cloud = await startStratus({ port: 0, storage: "memory", clock: "virtual", clockStart: "2027-01-01T00:00:00Z" });
    try {
      assert.match(cloud.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(cloud.endpoint, `http://127.0.0.1:${cloud.port}`);
      assert.equal(cloud.clock.mode, "virtual");
      assert.ok(Math.abs(cloud.clock.now().getTime() - Date.parse("2027-01-01T00:00:00Z")) < 10_000);
      const identity = await new STSClient(sdkConfig(cloud)).send(new GetCallerIdentityCommand({}));
      assert.equal(identity.Account, "000000000000");

      const advanced = await cloud.clock.advance("31d");
      assert.ok(advanced.getTime() >= Date.parse("2027-02-01T00:00:00Z"));
      const set = await cloud.clock.set("2028-02-29T12:00:00Z");
      assert.ok(Math.abs(set.getTime() - Date.parse("2028-02-29T12:00:00Z")) < 10_000);
      await assert.rejects(cloud.clock.set("not a time"), /not a time/);
      await cloud.clock.settle();
    } finally {
      await cloud.stop();
      await cloud.stop();
    }
    await assert.rejects(fetch(`${cloud.endpoint}/_stratus/health`));
  });

  it("runs several instances side by side, each with its own state", async () => {
    const a = await startStratus({ port: 0, storage: "memory" });
    const b = await startStratus({ port: 0, storage: "memory" });
    try {
      assert.notEqual(a.port, b.port);
      await new IAMClient(sdkConfig(a)).send(new CreateRoleCommand({ RoleName: "only-in-a", AssumeRolePolicyDocument: TRUST }));
      await assert.rejects(new IAMClient(sdkConfig(b)).send(new GetRoleCommand({ RoleName: "only-in-a" })), (e: any) => e.Code === "NoSuchEntity");
      await a.reset();
      await assert.rejects(new IAMClient(sdkConfig(a)).send(new GetRoleCommand({ RoleName: "only-in-a" })), (e: any) => e.Code === "NoSuchEntity");
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it("reports a port already in use and releases what it opened", async () => {
    const a = await startStratus({ port: 0, storage: "memory" });
    try {
      await assert.rejects(startStratus({ port: a.port, storage: "memory" }), /EADDRINUSE/);
    } finally {
      await a.stop();
    }
  });

  it("refuses options that make no sense", async () => {
    await assert.rejects(startStratus({ port: 0, storage: "memory", clockStart: "yesterday-ish" }), /invalid clockStart/);
    await assert.rejects(startStratus({ port: 0, storage: "memory", auth: "strict", credentialsFile: "/nonexistent/credentials" }), /cannot read the credentials file \/nonexistent\/credentials: ENOENT/);
  });
});

describe("/_stratus endpoints", () => {
  it("serves health, reset and the clock as JSON", async () => {
    const cloud = await startStratus({ port: 0, storage: "memory", clock: "virtual", clockStart: "2026-05-01T00:00:00Z" });
    try {
      const health = await json(`${cloud.endpoint}/_stratus/health`);
      assert.equal(health.status, 200);
      assert.match(health.type!, /application\/json/);
      assert.equal(health.body.version, VERSION);
      assert.equal(health.body.status, "running");
      assert.equal(health.body.storage, "memory");
      assert.equal(health.body.dataDir, null);
      assert.equal(health.body.auth, "off");
      assert.equal(health.body.clock.mode, "virtual");
      for (const service of ["s3", "ec2", "ebs", "dlm", "cloudwatch", "sts", "iam", "kms", "pricing", "ce"]) assert.equal(health.body.services[service]?.state, "running", service);
      assert.ok(health.body.services.iam.operations >= 40, "IAM counts its implemented operations");

      await new IAMClient(sdkConfig(cloud)).send(new CreateRoleCommand({ RoleName: "to-be-reset", AssumeRolePolicyDocument: TRUST }));
      cloud.cloud.scheduler.schedule({ kind: "nobody-handles-this", due: Date.now() + 86_400_000 });
      assert.equal((await json(`${cloud.endpoint}/_stratus/clock`)).body.pendingJobs, 1);
      const reset = await json(`${cloud.endpoint}/_stratus/reset`, { method: "POST" });
      assert.deepEqual(reset.body, { reset: true });
      await assert.rejects(new IAMClient(sdkConfig(cloud)).send(new GetRoleCommand({ RoleName: "to-be-reset" })), (e: any) => e.Code === "NoSuchEntity");
      const clock = await json(`${cloud.endpoint}/_stratus/clock`);
      assert.equal(clock.body.pendingJobs, 0);
      assert.ok(Date.parse(clock.body.now) >= Date.parse("2026-05-01T00:00:00Z"), "a reset keeps the clock's time");

      const advanced = await json(`${cloud.endpoint}/_stratus/clock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advance: "30d" }) });
      assert.equal(advanced.status, 200);
      assert.ok(Date.parse(advanced.body.now) >= Date.parse("2026-05-31T00:00:00Z"));
      const set = await json(`${cloud.endpoint}/_stratus/clock`, { method: "POST", body: JSON.stringify({ set: "2027-01-01T00:00:00Z" }) });
      assert.ok(Math.abs(Date.parse(set.body.now) - Date.parse("2027-01-01T00:00:00Z")) < 10_000);

      const bad = await json(`${cloud.endpoint}/_stratus/clock`, { method: "POST", body: "advance 30d" });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error, "InvalidRequest");
      const badDuration = await json(`${cloud.endpoint}/_stratus/clock`, { method: "POST", body: JSON.stringify({ advance: "a while" }) });
      assert.equal(badDuration.status, 400);
      assert.match(badDuration.body.message, /invalid duration/);
      const nothing = await json(`${cloud.endpoint}/_stratus/clock`, { method: "POST", body: "{}" });
      assert.equal(nothing.status, 400);
      const unknown = await json(`${cloud.endpoint}/_stratus/nope`);
      assert.equal(unknown.status, 404);
    } finally {
      await cloud.stop();
    }
  });

  it("refuses to move the system clock", async () => {
    const cloud = await startStratus({ port: 0, storage: "memory" });
    try {
      const response = await json(`${cloud.endpoint}/_stratus/clock`, { method: "POST", body: JSON.stringify({ advance: "1d" }) });
      assert.equal(response.status, 409);
      assert.equal(response.body.error, "SystemClock");
      assert.equal((await json(`${cloud.endpoint}/_stratus/clock`)).body.mode, "system");
    } finally {
      await cloud.stop();
    }
  });
});
