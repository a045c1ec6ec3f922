import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CreateLifecyclePolicyCommand,
  DeleteLifecyclePolicyCommand,
  DLMClient,
  GetLifecyclePoliciesCommand,
  GetLifecyclePolicyCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateLifecyclePolicyCommand,
} from "@aws-sdk/client-dlm";
import { CreateSnapshotCommand, CreateVolumeCommand, DescribeImagesCommand, DescribeSnapshotsCommand, EC2Client, RunInstancesCommand, type Snapshot } from "@aws-sdk/client-ec2";
import { CreateRoleCommand, DeleteRoleCommand, IAMClient, UpdateAssumeRolePolicyCommand } from "@aws-sdk/client-iam";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";

const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "dlm.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
/** The virtual clock flows between jobs, so compare times to the minute. */
const minute = (date: Date) => date.toISOString().slice(0, 16);
const ROLE_ARN = "arn:aws:iam::000000000000:role/AWSDataLifecycleManagerDefaultRole";

describe("DLM", () => {
  let stratus: RunningStratus;
  let dlm: DLMClient;
  let ec2: EC2Client;
  before(async () => {
    // 2025-03-01T10:00Z: the exercise's 03:00 schedule first runs the next morning.
    stratus = await startTestStratus({ clock: "virtual", clockStart: "2025-03-01T10:00:00Z" });
    dlm = new DLMClient(sdkConfig(stratus));
    ec2 = new EC2Client(sdkConfig(stratus));
    await new IAMClient(sdkConfig(stratus)).send(new CreateRoleCommand({ RoleName: "AWSDataLifecycleManagerDefaultRole", AssumeRolePolicyDocument: TRUST }));
  });
  after(() => stratus.stop());

  async function volume(tags: Record<string, string>) {
    const created = await ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: "us-east-1a",
        Size: 1,
        VolumeType: "gp3",
        TagSpecifications: [{ ResourceType: "volume", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
      }),
    );
    return created.VolumeId!;
  }

  async function snapshotsOf(volumeId: string): Promise<Snapshot[]> {
    const { Snapshots } = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"], Filters: [{ Name: "volume-id", Values: [volumeId] }] }));
    return Snapshots!.sort((a, b) => a.StartTime!.getTime() - b.StartTime!.getTime());
  }

  function policy(overrides: Record<string, unknown> = {}, schedule: Record<string, unknown> = {}) {
    return {
      ExecutionRoleArn: ROLE_ARN,
      Description: "test policy",
      State: "ENABLED" as const,
      PolicyDetails: {
        PolicyType: "EBS_SNAPSHOT_MANAGEMENT" as const,
        ResourceTypes: ["VOLUME" as const],
        TargetTags: [{ Key: "Backup", Value: "yes" }],
        Schedules: [{ Name: "s", CreateRule: { Interval: 24, IntervalUnit: "HOURS" as const, Times: ["06:00"] }, RetainRule: { Count: 3 }, ...schedule }],
      },
      ...overrides,
    } as any;
  }

  it("runs the exercise's policy: 8 days later exactly 7 snapshots of each tagged volume remain", async () => {
    const tagged = [
      await volume({ Name: "ml-training-data", Project: "ml-infrastructure", Environment: "dev" }),
      await volume({ Name: "ml-logs", Project: "ml-infrastructure" }),
    ];
    const other = await volume({ Name: "scratch", Project: "other" });
    const dir = mkdtempSync(path.join(os.tmpdir(), "dlm-"));
    writeFileSync(
      path.join(dir, "lifecycle-policy.json"),
      JSON.stringify({
        ExecutionRoleArn: ROLE_ARN,
        Description: "Daily snapshots of ML volumes",
        State: "ENABLED",
        PolicyDetails: {
          PolicyType: "EBS_SNAPSHOT_MANAGEMENT",
          ResourceTypes: ["VOLUME"],
          TargetTags: [{ Key: "Project", Value: "ml-infrastructure" }],
          Schedules: [
            { Name: "Daily snapshots", CopyTags: true, CreateRule: { Interval: 24, IntervalUnit: "HOURS", Times: ["03:00"] }, RetainRule: { Count: 7 } },
          ],
        },
      }),
    );
    const created = await awsCli(stratus, ["dlm", "create-lifecycle-policy", "--cli-input-json", "file://lifecycle-policy.json"], { cwd: dir });
    assert.equal(created.code, 0, created.stderr);
    const policyId = created.json().PolicyId;
    assert.match(policyId, /^policy-[0-9a-f]{17}$/);

    await stratus.clock.advance("8d");
    for (const volumeId of tagged) {
      const snapshots = await snapshotsOf(volumeId);
      assert.equal(snapshots.length, 7, `volume ${volumeId} has ${snapshots.length} snapshots`);
      // The oldest run (day 1) was deleted; days 2..8 remain, each at 03:00 UTC.
      assert.deepEqual(
        snapshots.map((s) => minute(s.StartTime!)),
        [3, 4, 5, 6, 7, 8, 9].map((d) => `2025-03-0${d}T03:00`),
      );
      for (const snapshot of snapshots) {
        assert.equal(snapshot.State, "completed");
        assert.equal(snapshot.Description, `Created for policy: ${policyId} schedule: Daily snapshots`);
        const tags = Object.fromEntries(snapshot.Tags!.map((t) => [t.Key, t.Value]));
        assert.equal(tags["aws:dlm:lifecycle-policy-id"], policyId);
        assert.equal(tags["aws:dlm:lifecycle-schedule-name"], "Daily snapshots");
        assert.equal(tags.Project, "ml-infrastructure", "CopyTags copies the volume's tags");
      }
    }
    assert.equal((await snapshotsOf(other)).length, 0, "volumes without the target tag are left alone");
    const got = await dlm.send(new GetLifecyclePolicyCommand({ PolicyId: policyId }));
    assert.equal(got.Policy!.State, "ENABLED");
    assert.equal(got.Policy!.PolicyArn, `arn:aws:dlm:us-east-1:000000000000:policy/${policyId}`);
    assert.equal(got.Policy!.PolicyDetails!.Schedules![0].RetainRule!.Count, 7);
    await dlm.send(new DeleteLifecyclePolicyCommand({ PolicyId: policyId }));
    await stratus.clock.advance("2d");
    assert.equal((await snapshotsOf(tagged[0])).length, 7, "a deleted policy neither creates nor deletes");
  });

  it("validates policies as DLM does", async () => {
    const fails = async (input: any, pattern: RegExp) => {
      await assert.rejects(dlm.send(new CreateLifecyclePolicyCommand(input)), (e: any) => {
        assert.equal(e.name, "InvalidRequestException", `${e.name}: ${e.message}`);
        assert.equal(e.$metadata.httpStatusCode, 400);
        assert.match(e.message, pattern);
        return true;
      });
    };
    await fails(policy({ ExecutionRoleArn: "arn:aws:iam::000000000000:role/nope" }), /role/);
    await fails(policy({}, { CreateRule: { Interval: 5, IntervalUnit: "HOURS" } }), /Interval must be one of 1, 2, 3, 4, 6, 8, 12, 24/);
    await fails(policy({}, { RetainRule: { Count: 3, Interval: 2, IntervalUnit: "DAYS" } }), /mutually exclusive/);
    await fails(policy({}, { RetainRule: {} }), /required/);
    await fails(policy({}, { CreateRule: { CronExpression: "cron(0 3 * * ? *)", Interval: 24, IntervalUnit: "HOURS" } }), /mutually exclusive/);
    await fails(policy({}, { CreateRule: { CronExpression: "cron(0 3 * * * *)" } }), /cron/);
    await fails(policy({}, { CreateRule: { CronExpression: "cron(0/15 * * * ? *)" } }), /once an hour/);
    await fails(policy({}, { VariableTags: [{ Key: "instance", Value: "$(instance-id)" }] }), /VariableTags/);
    await fails(policy({ Description: "no! punctuation?" }), /description/i);
    await fails(policy({ PolicyDetails: { PolicyType: "EBS_SNAPSHOT_MANAGEMENT", ResourceTypes: ["VOLUME"], Schedules: [] } }), /TargetTags|Schedules|schedules/);
    await fails({ ...policy(), PolicyDetails: undefined }, /PolicyDetails/);
    const twice = policy();
    twice.PolicyDetails.Schedules.push({ ...twice.PolicyDetails.Schedules[0] });
    await fails(twice, /unique/);
    await assert.rejects(dlm.send(new GetLifecyclePolicyCommand({ PolicyId: "policy-0123456789abcdef0" })), (e: any) => e.name === "ResourceNotFoundException" && e.$metadata.httpStatusCode === 404);
  });

  it("pauses while DISABLED, lists with filters, and keeps its own tags", async () => {
    const volumeId = await volume({ Backup: "yes" });
    const { PolicyId } = await dlm.send(new CreateLifecyclePolicyCommand(policy({ State: "DISABLED", Tags: { team: "ml" } }, { TagsToAdd: [{ Key: "made-by", Value: "dlm" }] })));
    await stratus.clock.advance("2d");
    assert.equal((await snapshotsOf(volumeId)).length, 0, "a DISABLED policy takes no snapshots");
    await dlm.send(new UpdateLifecyclePolicyCommand({ PolicyId, State: "ENABLED" }));
    await stratus.clock.advance("2d");
    const snapshots = await snapshotsOf(volumeId);
    assert.equal(snapshots.length, 2);
    assert.ok(snapshots.every((s) => s.Tags!.some((t) => t.Key === "made-by" && t.Value === "dlm")));
    assert.ok(snapshots.every((s) => !s.Tags!.some((t) => t.Key === "Backup")), "without CopyTags the volume's tags stay behind");

    const list = await dlm.send(new GetLifecyclePoliciesCommand({ TargetTags: ["Backup=yes"], State: "ENABLED" }));
    assert.ok(list.Policies!.some((p) => p.PolicyId === PolicyId && p.PolicyType === "EBS_SNAPSHOT_MANAGEMENT" && p.Tags!.team === "ml"));
    const none = await dlm.send(new GetLifecyclePoliciesCommand({ TargetTags: ["Backup=no"] }));
    assert.ok(!none.Policies!.some((p) => p.PolicyId === PolicyId));
    const byTagsToAdd = await dlm.send(new GetLifecyclePoliciesCommand({ TagsToAdd: ["made-by=dlm"], ResourceTypes: ["VOLUME"] }));
    assert.deepEqual(byTagsToAdd.Policies!.map((p) => p.PolicyId), [PolicyId]);

    const arn = `arn:aws:dlm:us-east-1:000000000000:policy/${PolicyId}`;
    await dlm.send(new TagResourceCommand({ ResourceArn: arn, Tags: { owner: "alice" } }));
    await dlm.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ["team"] }));
    assert.deepEqual((await dlm.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags, { owner: "alice" });
    await dlm.send(new DeleteLifecyclePolicyCommand({ PolicyId }));
    await assert.rejects(dlm.send(new DeleteLifecyclePolicyCommand({ PolicyId })), (e: any) => e.name === "ResourceNotFoundException");
  });

  it("runs cron schedules and deletes by age", async () => {
    const weekly = await volume({ Backup: "cron" });
    const aged = await volume({ Backup: "aged" });
    await stratus.clock.set("2025-04-01T00:00:00Z");
    const cron = await dlm.send(
      new CreateLifecyclePolicyCommand(
        policy({ PolicyDetails: { ResourceTypes: ["VOLUME"], TargetTags: [{ Key: "Backup", Value: "cron" }], Schedules: [{ Name: "mondays", CreateRule: { CronExpression: "cron(30 12 ? * MON *)" }, RetainRule: { Count: 10 } }] } }),
      ),
    );
    const age = await dlm.send(
      new CreateLifecyclePolicyCommand(
        policy({ PolicyDetails: { ResourceTypes: ["VOLUME"], TargetTags: [{ Key: "Backup", Value: "aged" }], Schedules: [{ Name: "daily", CreateRule: { Interval: 24, IntervalUnit: "HOURS", Times: ["06:00"] }, RetainRule: { Interval: 2, IntervalUnit: "DAYS" } }] } }),
      ),
    );
    await stratus.clock.set("2025-04-15T12:00:00Z");
    // Mondays in that fortnight: April 7 and April 14.
    assert.deepEqual((await snapshotsOf(weekly)).map((s) => minute(s.StartTime!)), ["2025-04-07T12:30", "2025-04-14T12:30"]);
    // Daily at 06:00, each kept two days: those of the 14th and the 15th remain.
    assert.deepEqual((await snapshotsOf(aged)).map((s) => minute(s.StartTime!)), ["2025-04-14T06:00", "2025-04-15T06:00"]);
    await dlm.send(new DeleteLifecyclePolicyCommand({ PolicyId: cron.PolicyId }));
    await dlm.send(new DeleteLifecyclePolicyCommand({ PolicyId: age.PolicyId }));
  });

  it("copies each snapshot to another Region and retains the copies by their own rule", async () => {
    await stratus.clock.set("2025-05-01T00:00:00Z");
    const volumeId = await volume({ Backup: "dr", Name: "dr-volume" });
    const { PolicyId } = await dlm.send(
      new CreateLifecyclePolicyCommand(
        policy({
          PolicyDetails: {
            ResourceTypes: ["VOLUME"],
            TargetTags: [{ Key: "Backup", Value: "dr" }],
            Schedules: [
              {
                Name: "dr",
                CopyTags: true,
                CreateRule: { Interval: 24, IntervalUnit: "HOURS", Times: ["06:00"] },
                RetainRule: { Count: 5 },
                CrossRegionCopyRules: [{ TargetRegion: "us-west-2", Encrypted: false, CopyTags: true, RetainRule: { Interval: 1, IntervalUnit: "DAYS" } }],
              },
            ],
          },
        }),
      ),
    );
    await stratus.clock.set("2025-05-04T00:00:00Z");
    assert.equal((await snapshotsOf(volumeId)).length, 3);
    const west = new EC2Client(sdkConfig(stratus, "us-west-2"));
    const { Snapshots } = await west.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"], Filters: [{ Name: "tag:aws:dlm:lifecycle-policy-id", Values: [PolicyId!] }] }));
    assert.equal(Snapshots!.length, 1, "copies older than a day were deleted");
    const copy = Snapshots![0];
    assert.equal(minute(copy.StartTime!), "2025-05-03T06:00");
    assert.match(copy.Description!, /^\[Copied snap-[0-9a-f]+ from us-east-1\]/);
    assert.ok(copy.Tags!.some((t) => t.Key === "Name" && t.Value === "dr-volume"));
    await dlm.send(new DeleteLifecyclePolicyCommand({ PolicyId }));
  });

  it("snapshots every volume of tagged instances (INSTANCE policies) with variable tags, retaining whole sets", async () => {
    await stratus.clock.set("2025-06-01T00:00:00Z");
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "architecture", Values: ["x86_64"] }] }));
    const { Instances } = await ec2.send(
      new RunInstancesCommand({
        ImageId: Images![0].ImageId,
        InstanceType: "t3.micro",
        MinCount: 1,
        MaxCount: 1,
        BlockDeviceMappings: [{ DeviceName: "/dev/sdf", Ebs: { VolumeSize: 2, VolumeType: "gp3" } }],
        TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Backup", Value: "instance" }, { Key: "Owner", Value: "alice" }] }],
      }),
    );
    const instanceId = Instances![0].InstanceId!;
    await stratus.clock.advance("1m");
    const { PolicyId } = await dlm.send(
      new CreateLifecyclePolicyCommand(
        policy({
          PolicyDetails: {
            ResourceTypes: ["INSTANCE"],
            TargetTags: [{ Key: "Backup", Value: "instance" }],
            Parameters: { ExcludeBootVolume: true },
            Schedules: [
              {
                Name: "instances",
                CopyTags: true,
                CreateRule: { Interval: 12, IntervalUnit: "HOURS", Times: ["00:30"] },
                RetainRule: { Count: 2 },
                VariableTags: [{ Key: "instance-id", Value: "$(instance-id)" }],
              },
            ],
          },
        }),
      ),
    );
    await stratus.clock.set("2025-06-03T00:00:00Z");
    const { Snapshots } = await ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: "tag:aws:dlm:lifecycle-policy-id", Values: [PolicyId!] }] }));
    // Four runs (00:30 and 12:30 on two days), the boot volume excluded, the newest two kept.
    assert.deepEqual(Snapshots!.map((s) => minute(s.StartTime!)).sort(), ["2025-06-02T00:30", "2025-06-02T12:30"]);
    for (const snapshot of Snapshots!) {
      const tags = Object.fromEntries(snapshot.Tags!.map((t) => [t.Key, t.Value]));
      assert.equal(tags["instance-id"], instanceId);
      assert.equal(tags.Owner, "alice", "CopyTags copies the instance's tags");
      assert.equal(snapshot.VolumeSize, 2);
    }
    await dlm.send(new DeleteLifecyclePolicyCommand({ PolicyId }));
  });

  it("goes to ERROR when its execution role is gone, and recovers when it is back", async () => {
    await stratus.clock.set("2025-07-01T00:00:00Z");
    const iam = new IAMClient(sdkConfig(stratus));
    await iam.send(new CreateRoleCommand({ RoleName: "short-lived", AssumeRolePolicyDocument: TRUST }));
    const volumeId = await volume({ Backup: "role" });
    const { PolicyId } = await dlm.send(
      new CreateLifecyclePolicyCommand(
        policy({
          ExecutionRoleArn: "arn:aws:iam::000000000000:role/short-lived",
          PolicyDetails: { ResourceTypes: ["VOLUME"], TargetTags: [{ Key: "Backup", Value: "role" }], Schedules: [{ Name: "r", CreateRule: { Interval: 24, IntervalUnit: "HOURS", Times: ["06:00"] }, RetainRule: { Count: 5 } }] },
        }),
      ),
    );
    await iam.send(new DeleteRoleCommand({ RoleName: "short-lived" }));
    await stratus.clock.set("2025-07-02T00:00:00Z");
    const broken = await dlm.send(new GetLifecyclePolicyCommand({ PolicyId }));
    assert.equal(broken.Policy!.State, "ERROR");
    assert.match(broken.Policy!.StatusMessage!, /short-lived/);
    assert.equal((await snapshotsOf(volumeId)).length, 0);
    // A role DLM may not assume (it trusts another service) is as good as none.
    const ec2Trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    await iam.send(new CreateRoleCommand({ RoleName: "short-lived", AssumeRolePolicyDocument: ec2Trust }));
    await stratus.clock.set("2025-07-03T00:00:00Z");
    assert.equal((await dlm.send(new GetLifecyclePolicyCommand({ PolicyId }))).Policy!.State, "ERROR");
    assert.equal((await snapshotsOf(volumeId)).length, 0);
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "short-lived", PolicyDocument: TRUST }));
    await stratus.clock.set("2025-07-04T00:00:00Z");
    assert.equal((await dlm.send(new GetLifecyclePolicyCommand({ PolicyId }))).Policy!.State, "ENABLED");
    assert.equal((await snapshotsOf(volumeId)).length, 1);
    await dlm.send(new DeleteLifecyclePolicyCommand({ PolicyId }));
  });

  it("runs a default policy: every volume without a recent backup, except the excluded ones", async () => {
    await stratus.clock.set("2025-08-01T00:00:00Z");
    const plain = await volume({ Purpose: "default-policy" });
    const excluded = await volume({ Purpose: "default-policy", NoBackup: "true" });
    const recent = await volume({ Purpose: "default-policy" });
    const { PolicyId } = await dlm.send(
      new CreateLifecyclePolicyCommand({
        ExecutionRoleArn: ROLE_ARN,
        Description: "default volume policy",
        State: "ENABLED",
        DefaultPolicy: "VOLUME",
        CreateInterval: 2,
        RetainInterval: 3,
        Exclusions: { ExcludeTags: [{ Key: "NoBackup", Value: "true" }] },
      }),
    );
    await assert.rejects(
      dlm.send(new CreateLifecyclePolicyCommand({ ExecutionRoleArn: ROLE_ARN, Description: "second", State: "ENABLED", DefaultPolicy: "VOLUME" })),
      (e: any) => e.name === "LimitExceededException",
    );
    const dlmSnapshots = async (volumeId: string) => (await snapshotsOf(volumeId)).filter((s) => s.Tags?.some((t) => t.Key === "aws:dlm:lifecycle-policy-id"));
    // Runs every 2 days from the first whole hour after creation: the 1st, 3rd, 5th, 7th at 01:00.
    // A snapshot taken by other means before the run of the 3rd counts as a recent backup.
    await stratus.clock.set("2025-08-02T23:00:00Z");
    await ec2.send(new CreateSnapshotCommand({ VolumeId: recent }));
    await stratus.clock.set("2025-08-03T02:00:00Z");
    assert.deepEqual((await dlmSnapshots(plain)).map((s) => minute(s.StartTime!)), ["2025-08-01T01:00", "2025-08-03T01:00"]);
    assert.deepEqual((await dlmSnapshots(recent)).map((s) => minute(s.StartTime!)), ["2025-08-01T01:00"], "the run of the 3rd skipped the recently backed-up volume");
    await stratus.clock.set("2025-08-09T00:00:00Z");
    const got = await dlm.send(new GetLifecyclePolicyCommand({ PolicyId }));
    assert.equal(got.Policy!.DefaultPolicy, true);
    assert.equal(got.Policy!.PolicyDetails!.CreateInterval, 2);
    // Each kept 3 days: on the 9th only the 7th's remains (the 5th's expired on the 8th).
    assert.deepEqual((await dlmSnapshots(plain)).map((s) => minute(s.StartTime!)), ["2025-08-07T01:00"]);
    assert.deepEqual(await dlmSnapshots(excluded), []);
    assert.deepEqual((await dlmSnapshots(recent)).map((s) => minute(s.StartTime!)), ["2025-08-07T01:00"]);
    const list = await dlm.send(new GetLifecyclePoliciesCommand({ DefaultPolicyType: "VOLUME" }));
    assert.deepEqual(list.Policies!.map((p) => p.PolicyId), [PolicyId]);
    assert.equal(list.Policies![0].DefaultPolicy, true);
    await dlm.send(new DeleteLifecyclePolicyCommand({ PolicyId }));
  });
});
