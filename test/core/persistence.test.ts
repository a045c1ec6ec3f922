/**
 * State survives a restart with storage "disk": IAM entities, credentials
 * issued by STS and IAM (strict mode still accepts them), the virtual
 * clock's time and scheduled jobs, which run after the restart.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { AttachRolePolicyCommand, CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, GetRoleCommand, IAMClient, ListAttachedRolePoliciesCommand } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { startStratus, type RunningStratus } from "../../src/index.js";
import { SERVICES } from "../../src/services/registry.js";
import type { ServiceDefinition } from "../../src/services/types.js";

const ROOT_KEY = { accessKeyId: "AKIAPERSISTROOTKEY01", secretAccessKey: "persist-secret-0123456789abcdefghijklmnop" };
const START = "2026-06-01T00:00:00.000Z";
const DAY = 86_400_000;

/** A service whose only job is a daily tick that records the clock it ran at. */
const ticker: ServiceDefinition = {
  name: "ticker",
  signingNames: [],
  validation: "none",
  createProvider: (cloud) => ({
    cloud,
    onStart() {
      cloud.scheduler.on<{ n: number }>("ticker.tick", (job) => {
        cloud.documents.collection<{ n: number; at: Date }>("ticker", "runs").scope({ account: "global", region: "global" }).put(String(job.payload.n).padStart(4, "0"), { n: job.payload.n, at: cloud.clock.date() });
        cloud.scheduler.schedule({ kind: "ticker.tick", key: "ticker", due: job.due + DAY, payload: { n: job.payload.n + 1 } });
      });
    },
  }),
};

function config(stratus: RunningStratus, credentials = ROOT_KEY) {
  return { endpoint: stratus.endpoint, region: "us-east-1", credentials, maxAttempts: 1 };
}

function runs(stratus: RunningStratus) {
  return stratus.cloud.documents.collection<{ n: number; at: Date }>("ticker", "runs").scope({ account: "global", region: "global" }).values().sort((a, b) => a.n - b.n);
}

describe("persistence across restarts (storage: disk)", () => {
  let dir: string;
  const start = (clockStart?: string) =>
    startStratus({ port: 0, storage: "disk", dataDir: dir, clock: "virtual", clockStart, auth: "strict", credentials: [ROOT_KEY], services: [...SERVICES, ticker] });
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "stratus-persist-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps IAM, issued credentials, the clock and scheduled jobs", async () => {
    let session: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
    let userKey: { accessKeyId: string; secretAccessKey: string };
    let roleId: string;
    let stoppedAt: number;

    const first = await start(START);
    try {
      assert.ok(existsSync(path.join(dir, "stratus.db")));
      const iam = new IAMClient(config(first));
      // DLM's role, which the account may also assume (the test assumes it below).
      const trust = JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "dlm.amazonaws.com", AWS: "arn:aws:iam::000000000000:root" }, Action: "sts:AssumeRole" }],
      });
      roleId = (await iam.send(new CreateRoleCommand({ RoleName: "AWSDataLifecycleManagerDefaultRole", AssumeRolePolicyDocument: trust }))).Role!.RoleId!;
      await iam.send(new AttachRolePolicyCommand({ RoleName: "AWSDataLifecycleManagerDefaultRole", PolicyArn: "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole" }));
      await iam.send(new CreateUserCommand({ UserName: "trainer" }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "trainer" }))).AccessKey!;
      userKey = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
      first.cloud.scheduler.schedule({ kind: "ticker.tick", key: "ticker", due: Date.parse(START) + 3 * 3_600_000, payload: { n: 1 } });
      await first.clock.advance("3d");
      assert.deepEqual(runs(first).map((r) => r.n), [1, 2, 3]);
      const assumed = await new STSClient(config(first)).send(
        new AssumeRoleCommand({ RoleArn: "arn:aws:iam::000000000000:role/AWSDataLifecycleManagerDefaultRole", RoleSessionName: "persist", DurationSeconds: 3600 }),
      );
      session = { accessKeyId: assumed.Credentials!.AccessKeyId!, secretAccessKey: assumed.Credentials!.SecretAccessKey!, sessionToken: assumed.Credentials!.SessionToken! };
      stoppedAt = first.clock.now().getTime();
    } finally {
      await first.stop();
    }

    const second = await start();
    try {
      // The clock resumes where it stood (a virtual clock keeps flowing with wall time).
      const resumed = second.clock.now().getTime();
      assert.ok(resumed >= stoppedAt! && resumed - stoppedAt! < 60_000, `clock resumed at ${new Date(resumed).toISOString()}`);

      const iam = new IAMClient(config(second));
      const role = (await iam.send(new GetRoleCommand({ RoleName: "AWSDataLifecycleManagerDefaultRole" }))).Role!;
      assert.equal(role.RoleId, roleId!);
      const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "AWSDataLifecycleManagerDefaultRole" }));
      assert.equal(attached.AttachedPolicies![0].PolicyName, "AWSDataLifecycleManagerServiceRole");

      const asRole = await new STSClient(config(second, session!)).send(new GetCallerIdentityCommand({}));
      assert.equal(asRole.Arn, "arn:aws:sts::000000000000:assumed-role/AWSDataLifecycleManagerDefaultRole/persist");
      const asUser = await new STSClient(config(second, userKey!)).send(new GetCallerIdentityCommand({}));
      assert.equal(asUser.Arn, "arn:aws:iam::000000000000:user/trainer");

      assert.equal(second.cloud.scheduler.pendingCount, 1);
      await second.clock.advance("2d");
      const all = runs(second);
      assert.deepEqual(all.map((r) => r.n), [1, 2, 3, 4, 5]);
      all.forEach((r, i) => assert.equal(r.at.getTime() - Date.parse(START), 3 * 3_600_000 + i * DAY, `tick ${r.n} ran at its due time`));

      // Past their expiry (on the virtual clock), issued session credentials stop working after a restart too.
      await assert.rejects(new STSClient(config(second, session!)).send(new GetCallerIdentityCommand({})), (error: any) => error.Code === "ExpiredToken");
    } finally {
      await second.stop();
    }
  });

  it("refuses to open a data dir another running Stratus holds", async () => {
    const first = await start();
    try {
      await assert.rejects(start(), /data dir is in use by another Stratus/);
    } finally {
      await first.stop();
    }
  });
});
