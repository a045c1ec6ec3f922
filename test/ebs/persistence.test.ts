import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { CreateSnapshotCommand, CreateVolumeCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, DeleteSnapshotCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CreateLifecyclePolicyCommand, DLMClient } from "@aws-sdk/client-dlm";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { sdkConfig, startTestStratus } from "../support/stratus.js";
import { BLOCK, blockStore, pattern } from "./helpers.js";

describe("EBS and DLM state across a restart (disk storage)", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "stratus-ebs-"));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("keeps volumes, snapshots, their bytes and DLM schedules", async () => {
    const data = pattern("persist", 3 * BLOCK);
    let stratus = await startTestStratus({ storage: "disk", dataDir, clock: "virtual", clockStart: "2025-06-01T10:00:00Z" });
    let ec2 = new EC2Client(sdkConfig(stratus));
    let volumeId: string;
    let snapshotId: string;
    try {
      const volume = await ec2.send(
        new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1, TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "Backup", Value: "nightly" }] }] }),
      );
      volumeId = volume.VolumeId!;
      await stratus.clock.advance("1s");
      await blockStore(stratus).write(volumeId, BLOCK, data);
      snapshotId = (await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId }))).SnapshotId!;
      await stratus.clock.advance("10s");
      await new IAMClient(sdkConfig(stratus)).send(
        new CreateRoleCommand({ RoleName: "dlm-role", AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "dlm.amazonaws.com" }, Action: "sts:AssumeRole" }] }) }),
      );
      await new DLMClient(sdkConfig(stratus)).send(
        new CreateLifecyclePolicyCommand({
          ExecutionRoleArn: "arn:aws:iam::000000000000:role/dlm-role",
          Description: "nightly",
          State: "ENABLED",
          PolicyDetails: {
            ResourceTypes: ["VOLUME"],
            TargetTags: [{ Key: "Backup", Value: "nightly" }],
            Schedules: [{ Name: "nightly", CreateRule: { Interval: 24, IntervalUnit: "HOURS", Times: ["01:00"] }, RetainRule: { Count: 2 } }],
          },
        }),
      );
    } finally {
      await stratus.stop();
    }

    stratus = await startTestStratus({ storage: "disk", dataDir, clock: "virtual" });
    ec2 = new EC2Client(sdkConfig(stratus));
    try {
      const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
      assert.equal(Volumes![0].State, "available");
      assert.ok((await blockStore(stratus).read(volumeId, BLOCK, data.length)).equals(data), "the volume's bytes survive");
      const restored = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", SnapshotId: snapshotId }));
      await stratus.clock.advance("1s");
      assert.ok((await blockStore(stratus).read(restored.VolumeId!, BLOCK, data.length)).equals(data), "the snapshot's bytes survive");
      // The DLM schedule survived too: three nights later, two snapshots are retained.
      await stratus.clock.advance("3d");
      const { Snapshots } = await ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: "volume-id", Values: [volumeId] }, { Name: "tag-key", Values: ["aws:dlm:lifecycle-policy-id"] }] }));
      assert.equal(Snapshots!.length, 2);
      // Deleting every snapshot leaves no block files behind.
      for (const s of (await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }))).Snapshots!) {
        await ec2.send(new DeleteSnapshotCommand({ SnapshotId: s.SnapshotId! }));
      }
      const blocksDir = path.join(dataDir, "blobs", "ebs", "blocks", "us-east-1");
      const files = existsSync(blocksDir) ? readdirSync(blocksDir).flatMap((d) => readdirSync(path.join(blocksDir, d))) : [];
      assert.deepEqual(files, []);
    } finally {
      await stratus.stop();
    }
  });
});
