/**
 * DLM archive rules through SDK v3, on the virtual clock: what a monthly
 * schedule's standard retention lets go is archived (EBS Snapshots Archive),
 * kept there by its own count, then deleted; DLM's rules for archive
 * retention (at least 90 days, count- or age-based as the schedule is,
 * volumes only) refuse the rest.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateLifecyclePolicyCommand, DLMClient, DeleteLifecyclePolicyCommand } from "@aws-sdk/client-dlm";
import { CreateVolumeCommand, DescribeSnapshotsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import type { RunningStratus } from "../../src/index.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";

const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "dlm.amazonaws.com" }, Action: "sts:AssumeRole" }] });
const ROLE_ARN = "arn:aws:iam::000000000000:role/AWSDataLifecycleManagerDefaultRole";

describe("DLM archive rules", () => {
  let stratus: RunningStratus;
  let dlm: DLMClient;
  let ec2: EC2Client;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: "2025-01-01T10:00:00Z" });
    dlm = new DLMClient(sdkConfig(stratus));
    ec2 = new EC2Client(sdkConfig(stratus));
    await new IAMClient(sdkConfig(stratus)).send(new CreateRoleCommand({ RoleName: "AWSDataLifecycleManagerDefaultRole", AssumeRolePolicyDocument: TRUST }));
  });
  after(() => stratus.stop());

  const policy = (schedule: Record<string, unknown>, resourceType = "VOLUME") =>
    new CreateLifecyclePolicyCommand({
      ExecutionRoleArn: ROLE_ARN,
      Description: "monthly archive",
      State: "ENABLED",
      PolicyDetails: {
        PolicyType: "EBS_SNAPSHOT_MANAGEMENT",
        ResourceTypes: [resourceType as "VOLUME"],
        TargetTags: [{ Key: "Backup", Value: "monthly" }],
        Schedules: [{ Name: "monthly", CreateRule: { CronExpression: "cron(0 3 1 * ? *)" }, RetainRule: { Count: 2 }, ...schedule }],
      },
    } as never);

  it("refuses archive retention shorter than 90 days, of the wrong kind, or for instances", async () => {
    const invalid = (error: any) => error.name === "InvalidRequestException";
    // Monthly runs (about 30 days apart, as AWS counts them): two archived runs are not 90 days, three are.
    await assert.rejects(dlm.send(policy({ ArchiveRule: { RetainRule: { RetentionArchiveTier: { Count: 2 } } } })), invalid);
    const accepted = await dlm.send(policy({ ArchiveRule: { RetainRule: { RetentionArchiveTier: { Count: 3 } } } }));
    await dlm.send(new DeleteLifecyclePolicyCommand({ PolicyId: accepted.PolicyId }));
    await assert.rejects(dlm.send(policy({ ArchiveRule: { RetainRule: { RetentionArchiveTier: { Interval: 6, IntervalUnit: "MONTHS" } } } })), invalid);
    await assert.rejects(
      dlm.send(policy({ RetainRule: { Interval: 60, IntervalUnit: "DAYS" }, ArchiveRule: { RetainRule: { RetentionArchiveTier: { Interval: 60, IntervalUnit: "DAYS" } } } })),
      invalid,
    );
    await assert.rejects(dlm.send(policy({ ArchiveRule: { RetainRule: { RetentionArchiveTier: { Count: 4 } } } }, "INSTANCE")), invalid);
  });

  it("archives what the standard tier lets go, keeps the archive's count, deletes the oldest", async () => {
    const { VolumeId } = await ec2.send(
      new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1, TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "Backup", Value: "monthly" }] }] }),
    );
    await dlm.send(policy({ ArchiveRule: { RetainRule: { RetentionArchiveTier: { Count: 4 } } } }));
    // Runs on the 1st of February … August: seven snapshots made.
    await stratus.clock.set("2025-08-02T00:00:00Z");
    const { Snapshots } = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"], Filters: [{ Name: "volume-id", Values: [VolumeId!] }] }));
    const byMonth = Snapshots!.map((s) => [s.StartTime!.toISOString().slice(0, 7), s.StorageTier]).sort();
    assert.deepEqual(byMonth, [
      ["2025-03", "archive"],
      ["2025-04", "archive"],
      ["2025-05", "archive"],
      ["2025-06", "archive"],
      ["2025-07", "standard"],
      ["2025-08", "standard"],
    ]);
  });
});
