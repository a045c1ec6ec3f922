/**
 * The EBS snapshot archive tier through SDK v3 and /usr/bin/aws, on the
 * virtual clock: archival in progress (still usable), then archived (no
 * volumes, copies or sharing); temporary restores that expire and permanent
 * ones; DescribeSnapshotTierStatus; and the bill — archived snapshots full
 * at the archive price, the rest of 90 days when deleted early.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CostExplorerClient, GetCostAndUsageCommand } from "@aws-sdk/client-cost-explorer";
import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  DescribeSnapshotTierStatusCommand,
  EC2Client,
  ModifySnapshotAttributeCommand,
  ModifySnapshotTierCommand,
  RestoreSnapshotTierCommand,
} from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";
import { BLOCK, blockStore, pattern } from "./helpers.js";

const rejectsWith = (code: string) => (error: any) => {
  assert.equal(error.name, code, error.message);
  return true;
};

describe("the EBS snapshot archive tier", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: "2026-05-01T00:00:00Z" });
    ec2 = new EC2Client(sdkConfig(stratus));
  });
  after(() => stratus.stop());

  const tier = async (id: string) => (await ec2.send(new DescribeSnapshotTierStatusCommand({ Filters: [{ Name: "snapshot-id", Values: [id] }] }))).SnapshotTierStatuses![0];
  const describe1 = async (id: string) => (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }))).Snapshots![0];
  const volumeFrom = (SnapshotId: string) => ec2.send(new CreateVolumeCommand({ SnapshotId, AvailabilityZone: "us-east-1a" }));

  async function snapshotOf(volumeId: string): Promise<string> {
    const { SnapshotId } = await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId }));
    await stratus.clock.advance("1m");
    return SnapshotId!;
  }

  it("archives, refuses what archived snapshots cannot do, restores for a while or for good", async () => {
    const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1, VolumeType: "gp3" }));
    await stratus.clock.advance("2s");
    const store = blockStore(stratus);
    const data = pattern("model", 3 * BLOCK);
    await store.write(VolumeId!, 0, data);
    await snapshotOf(VolumeId!);
    await store.write(VolumeId!, 3 * BLOCK, pattern("more", BLOCK));
    const child = await snapshotOf(VolumeId!);

    const started = await ec2.send(new ModifySnapshotTierCommand({ SnapshotId: child, StorageTier: "archive" }));
    assert.equal(started.SnapshotId, child);
    assert.equal((await tier(child)).LastTieringOperationStatus, "archival-in-progress");
    // Still usable while archiving.
    assert.ok((await volumeFrom(child)).VolumeId);
    await assert.rejects(ec2.send(new ModifySnapshotTierCommand({ SnapshotId: child, StorageTier: "archive" })), rejectsWith("InvalidParameterCombination"));

    await stratus.clock.advance("2h");
    const archived = await tier(child);
    assert.equal(archived.LastTieringOperationStatus, "archival-completed");
    assert.equal(archived.StorageTier, "archive");
    assert.equal(archived.LastTieringProgress, 100);
    assert.ok(archived.ArchivalCompleteTime);
    assert.equal((await describe1(child)).StorageTier, "archive");
    await assert.rejects(volumeFrom(child), rejectsWith("IncorrectState"));
    await assert.rejects(ec2.send(new CopySnapshotCommand({ SourceSnapshotId: child, SourceRegion: "us-east-1" })), rejectsWith("IncorrectState"));
    await assert.rejects(ec2.send(new ModifySnapshotAttributeCommand({ SnapshotId: child, Attribute: "createVolumePermission", OperationType: "add", UserIds: ["111122223333"] })), rejectsWith("IncorrectState"));

    await assert.rejects(ec2.send(new RestoreSnapshotTierCommand({ SnapshotId: child })), rejectsWith("MissingParameter"));
    await assert.rejects(ec2.send(new RestoreSnapshotTierCommand({ SnapshotId: child, TemporaryRestoreDays: 181 })), rejectsWith("InvalidParameterValue"));
    const restore = await ec2.send(new RestoreSnapshotTierCommand({ SnapshotId: child, TemporaryRestoreDays: 2 }));
    assert.equal(restore.IsPermanentRestore, false);
    assert.equal(restore.RestoreDuration, 2);
    assert.equal((await tier(child)).LastTieringOperationStatus, "temporary-restore-in-progress");
    await assert.rejects(volumeFrom(child), rejectsWith("IncorrectState"));
    await stratus.clock.advance("25h");
    const restored = await tier(child);
    assert.equal(restored.LastTieringOperationStatus, "temporary-restore-completed");
    assert.ok(restored.RestoreExpiryTime);
    // A volume from the restored snapshot holds every block, the parent's included.
    const volume = await volumeFrom(child);
    await stratus.clock.advance("5s");
    assert.ok((await store.read(volume.VolumeId!, 0, 3 * BLOCK)).equals(data));
    // Two days on, it is archived again.
    await stratus.clock.advance("49h");
    assert.equal((await tier(child)).LastTieringOperationStatus, "archival-completed");
    await assert.rejects(volumeFrom(child), rejectsWith("IncorrectState"));

    const permanent = await awsCli(stratus, ["ec2", "restore-snapshot-tier", "--snapshot-id", child, "--permanent-restore", "--output", "json"]);
    assert.equal(permanent.code, 0, permanent.stderr);
    assert.equal(permanent.json().IsPermanentRestore, true);
    await stratus.clock.advance("25h");
    const cli = await awsCli(stratus, ["ec2", "describe-snapshot-tier-status", "--filters", `Name=snapshot-id,Values=${child}`, "--output", "json"]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.json().SnapshotTierStatuses[0].LastTieringOperationStatus, "permanent-restore-completed");
    assert.equal((await describe1(child)).StorageTier, "standard");
    assert.ok((await volumeFrom(child)).VolumeId);
  });

  it("bills archived snapshots full at the archive price, and the rest of 90 days when deleted early", async () => {
    // A Stratus of its own: its bill holds this snapshot only.
    const billed = await startTestStratus({ clock: "virtual", clockStart: "2026-05-01T00:00:00Z" });
    const ec2 = new EC2Client(sdkConfig(billed));
    const tier = async (id: string) => (await ec2.send(new DescribeSnapshotTierStatusCommand({ Filters: [{ Name: "snapshot-id", Values: [id] }] }))).SnapshotTierStatuses![0];
    const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1, VolumeType: "gp3" }));
    await billed.clock.advance("2s");
    await blockStore(billed).write(VolumeId!, 0, pattern("weights", 4 * BLOCK));
    const id = (await ec2.send(new CreateSnapshotCommand({ VolumeId }))).SnapshotId!;
    await billed.clock.advance("1m");
    await ec2.send(new ModifySnapshotTierCommand({ SnapshotId: id, StorageTier: "archive" }));
    await billed.clock.advance("2h");
    const archivedAt = (await tier(id)).ArchivalCompleteTime!.getTime();
    // Ten days archived, then deleted: 80 more days are charged.
    await billed.clock.set(archivedAt + 10 * 86_400_000);
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: id }));
    await billed.clock.advance("1h");
    const now = billed.clock.now();
    const { ResultsByTime } = await new CostExplorerClient(sdkConfig(billed)).send(
      new GetCostAndUsageCommand({
        TimePeriod: { Start: "2026-05-01", End: new Date(now.getTime() + 86_400_000).toISOString().slice(0, 10) },
        Granularity: "MONTHLY",
        Metrics: ["UsageQuantity"],
        GroupBy: [{ Type: "DIMENSION", Key: "USAGE_TYPE" }],
      }),
    );
    const usage = new Map(ResultsByTime!.flatMap((r) => r.Groups ?? []).map((g) => [g.Keys![0], Number(g.Metrics!.UsageQuantity.Amount)]));
    const gb = (4 * BLOCK) / 1024 ** 3;
    const monthHours = 31 * 24;
    const archive = usage.get("EBS:SnapshotArchiveStorage")!;
    const early = usage.get("EBS:SnapshotArchiveEarlyDelete")!;
    assert.ok(Math.abs(archive - (gb * 10 * 24) / monthHours) < gb * 0.01, `archive GB-months ${archive}`);
    assert.ok(Math.abs(early - (gb * 80 * 24) / monthHours) < gb * 0.05, `early deletion GB-months ${early}`);
    await billed.stop();
  });
});
