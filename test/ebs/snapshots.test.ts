import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotAttributeCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  ModifySnapshotAttributeCommand,
} from "@aws-sdk/client-ec2";
import { EBSClient, ListChangedBlocksCommand, ListSnapshotBlocksCommand } from "@aws-sdk/client-ebs";
import type { RunningStratus } from "../../src/index.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";
import { BLOCK, MiB, blockStore, holdClock, pattern } from "./helpers.js";

describe("EBS snapshots with real bytes (SDK v3)", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let ebs: EBSClient;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: "2025-03-01T00:00:00Z" });
    ec2 = new EC2Client(sdkConfig(stratus));
    ebs = new EBSClient(sdkConfig(stratus));
  });
  after(() => stratus.stop());

  async function newVolume(size = 1, region = "us-east-1", extra: Record<string, unknown> = {}) {
    const client = region === "us-east-1" ? ec2 : new EC2Client(sdkConfig(stratus, region));
    const volume = await client.send(new CreateVolumeCommand({ AvailabilityZone: `${region}a`, Size: size, VolumeType: "gp3", ...extra } as any));
    await stratus.clock.advance("2s");
    return volume.VolumeId!;
  }

  async function snapshot(volumeId: string, client = ec2) {
    const snap = await client.send(new CreateSnapshotCommand({ VolumeId: volumeId, Description: "test" }));
    await stratus.clock.advance("30s");
    const { Snapshots } = await client.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap.SnapshotId!] }));
    assert.equal(Snapshots![0].State, "completed");
    return snap.SnapshotId!;
  }

  it("restores exactly the bytes written, at any offset", async () => {
    const store = blockStore(stratus);
    const volumeId = await newVolume(2);
    const writes: Array<[number, Buffer]> = [
      [0, pattern("head", 4096)],
      [BLOCK - 100, pattern("straddle", 300)],
      [5 * MiB + 17, pattern("middle", 3 * MiB)],
      [2 * 1024 * MiB - 4096, pattern("tail", 4096)],
    ];
    for (const [offset, data] of writes) await store.write(volumeId, offset, data);
    const snapshotId = await snapshot(volumeId);
    const restored = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1b", SnapshotId: snapshotId, VolumeType: "gp3" }));
    assert.equal(restored.Size, 2);
    assert.equal(restored.SnapshotId, snapshotId);
    await stratus.clock.advance("2s");
    for (const [offset, data] of writes) {
      const back = await store.read(restored.VolumeId!, offset, data.length);
      assert.ok(back.equals(data), `bytes at ${offset} differ`);
    }
    const untouched = await store.read(restored.VolumeId!, 100 * MiB, 4096);
    assert.ok(untouched.equals(Buffer.alloc(4096)), "unwritten bytes read as zeros");
  });

  it("is incremental: only blocks changed since the previous snapshot are stored, and deletes free only unshared blocks", async () => {
    const store = blockStore(stratus);
    const before = store.pool.stats("us-east-1");
    const volumeId = await newVolume(1);
    await store.write(volumeId, 0, pattern("v1", 8 * BLOCK));
    const first = await snapshot(volumeId);
    const afterFirst = store.pool.stats("us-east-1");
    assert.equal(afterFirst.blocks - before.blocks, 8);
    // Change two blocks (one of them partially) and snapshot again.
    await store.write(volumeId, 2 * BLOCK, pattern("v2", BLOCK));
    await store.write(volumeId, 6 * BLOCK + 10, pattern("v2b", 10));
    const second = await snapshot(volumeId);
    const afterSecond = store.pool.stats("us-east-1");
    assert.equal(afterSecond.blocks - afterFirst.blocks, 2, "only the two changed blocks are new");
    assert.equal(store.blockCount(second), 8);
    const changed = await ebs.send(new ListChangedBlocksCommand({ FirstSnapshotId: first, SecondSnapshotId: second }));
    assert.deepEqual(changed.ChangedBlocks!.map((b) => b.BlockIndex), [2, 6]);
    // Deleting the first snapshot frees only the two blocks the second does not share.
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: first }));
    const afterDelete = store.pool.stats("us-east-1");
    assert.equal(afterSecond.blocks - afterDelete.blocks, 2);
    const restored = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", SnapshotId: second }));
    await stratus.clock.advance("2s");
    const expected = pattern("v1", 8 * BLOCK);
    pattern("v2", BLOCK).copy(expected, 2 * BLOCK);
    pattern("v2b", 10).copy(expected, 6 * BLOCK + 10);
    assert.ok((await store.read(restored.VolumeId!, 0, 8 * BLOCK)).equals(expected));
    // A third snapshot after the first was deleted still has every block.
    await store.write(volumeId, 7 * BLOCK, pattern("v3", 100));
    const third = await snapshot(volumeId);
    assert.equal(store.blockCount(third), 8);
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: second }));
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: third }));
    assert.equal(store.pool.stats("us-east-1").blocks - before.blocks, 0, "every block is freed once no snapshot uses it");
  });

  it("shows Progress moving on the clock while pending", async () => {
    const store = blockStore(stratus);
    const volumeId = await newVolume(1);
    // 128 MiB of new blocks: 0.5 s + 2 s at 64 MiB/s.
    await store.write(volumeId, 0, pattern("big", 128 * MiB));
    const snap = await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId }));
    assert.equal(snap.State, "pending");
    // The clock stands still while the capture runs (a loaded machine may take longer than the snapshot's 2.5 s).
    holdClock(stratus);
    // The capture runs in the background; once its bytes are stored, the snapshot's duration is known.
    while (!store.snapshot(snap.SnapshotId!)) await new Promise((resolve) => setTimeout(resolve, 20));
    // Half way through: 1.25 s of 2.5 s.
    await stratus.clock.set(new Date(snap.StartTime!.getTime() + 1250));
    holdClock(stratus);
    const mid = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap.SnapshotId!] }))).Snapshots![0];
    assert.equal(mid.State, "pending");
    assert.equal(mid.Progress, "50%");
    await stratus.clock.advance("10s");
    const done = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap.SnapshotId!] }))).Snapshots![0];
    assert.equal(done.State, "completed");
    assert.equal(done.Progress, "100%");
    assert.equal(done.FullSnapshotSizeInBytes, 128 * MiB);
    assert.ok(done.CompletionTime);
  });

  it("refuses to restore a pending snapshot or into a smaller volume", async () => {
    const store = blockStore(stratus);
    const volumeId = await newVolume(4);
    await store.write(volumeId, 0, pattern("x", BLOCK));
    holdClock(stratus);
    const snap = await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId }));
    await assert.rejects(
      ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", SnapshotId: snap.SnapshotId })),
      (e: any) => e.name === "IncorrectState",
    );
    await stratus.clock.advance("30s");
    await assert.rejects(
      ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", SnapshotId: snap.SnapshotId, Size: 2 })),
      (e: any) => e.name === "InvalidParameterValue" && /smaller than snapshot/.test(e.message),
    );
    await assert.rejects(
      ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", SnapshotId: "snap-0123456789abcdef0" })),
      (e: any) => e.name === "InvalidSnapshot.NotFound",
    );
  });

  it("copies a snapshot to another region with its bytes", async () => {
    const store = blockStore(stratus);
    const volumeId = await newVolume(1);
    const data = pattern("copy-me", 3 * BLOCK + 5);
    await store.write(volumeId, BLOCK, data);
    const source = await snapshot(volumeId);
    const west = new EC2Client(sdkConfig(stratus, "us-west-2"));
    const westBefore = store.pool.stats("us-west-2").blocks;
    const copy = await west.send(new CopySnapshotCommand({ SourceRegion: "us-east-1", SourceSnapshotId: source, Description: "dr copy", TagSpecifications: [{ ResourceType: "snapshot", Tags: [{ Key: "Copy", Value: "yes" }] }] }));
    assert.match(copy.SnapshotId!, /^snap-/);
    assert.deepEqual(copy.Tags, [{ Key: "Copy", Value: "yes" }]);
    await stratus.clock.advance("30s");
    const { Snapshots } = await west.send(new DescribeSnapshotsCommand({ SnapshotIds: [copy.SnapshotId!] }));
    assert.equal(Snapshots![0].State, "completed");
    assert.equal(Snapshots![0].VolumeId, "vol-ffffffff");
    assert.equal(store.pool.stats("us-west-2").blocks - westBefore, 4, "the blocks' bytes were copied into us-west-2");
    // The source can go: the copy holds its own bytes.
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: source }));
    const restored = await west.send(new CreateVolumeCommand({ AvailabilityZone: "us-west-2a", SnapshotId: copy.SnapshotId }));
    await stratus.clock.advance("2s");
    assert.ok((await store.read(restored.VolumeId!, BLOCK, data.length)).equals(data));
    await assert.rejects(
      west.send(new CopySnapshotCommand({ SourceRegion: "us-east-1", SourceSnapshotId: source })),
      (e: any) => e.name === "InvalidSnapshot.NotFound",
    );
    await assert.rejects(
      west.send(new CopySnapshotCommand({ SourceRegion: "mars-north-1", SourceSnapshotId: source })),
      (e: any) => e.name === "InvalidParameterValue",
    );
  });

  it("describes by owner, restorable-by, filters and pages", async () => {
    const volumeId = await newVolume(1);
    for (let i = 0; i < 6; i++) {
      await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId, Description: `page ${i}`, TagSpecifications: [{ ResourceType: "snapshot", Tags: [{ Key: "Batch", Value: "paging" }] }] }));
    }
    await stratus.clock.advance("30s");
    const mine = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"], Filters: [{ Name: "tag:Batch", Values: ["paging"] }] }));
    assert.equal(mine.Snapshots!.length, 6);
    assert.ok(mine.Snapshots!.every((s) => s.OwnerId === "000000000000" && s.VolumeId === volumeId && s.VolumeSize === 1));
    const byDescription = await ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: "description", Values: ["page 3"] }, { Name: "status", Values: ["completed"] }] }));
    assert.equal(byDescription.Snapshots!.length, 1);
    const others = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["123456789012"] }));
    assert.equal(others.Snapshots!.length, 0);
    const first = await ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: "tag:Batch", Values: ["paging"] }], MaxResults: 5 }));
    assert.equal(first.Snapshots!.length, 5);
    const second = await ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: "tag:Batch", Values: ["paging"] }], MaxResults: 5, NextToken: first.NextToken }));
    assert.equal(second.Snapshots!.length, 1);
  });

  it("shares a snapshot with another account through createVolumePermission", async () => {
    const store = blockStore(stratus);
    const volumeId = await newVolume(1);
    await store.write(volumeId, 0, pattern("shared", BLOCK));
    const snapshotId = await snapshot(volumeId);
    const other = new EC2Client({ ...sdkConfig(stratus), credentials: { accessKeyId: "111122223333", secretAccessKey: "x" } });
    let visible = await other.send(new DescribeSnapshotsCommand({ RestorableByUserIds: ["self"] }));
    assert.ok(!visible.Snapshots!.some((s) => s.SnapshotId === snapshotId));
    await ec2.send(new ModifySnapshotAttributeCommand({ SnapshotId: snapshotId, Attribute: "createVolumePermission", OperationType: "add", UserIds: ["111122223333"] }));
    const attr = await ec2.send(new DescribeSnapshotAttributeCommand({ SnapshotId: snapshotId, Attribute: "createVolumePermission" }));
    assert.deepEqual(attr.CreateVolumePermissions, [{ UserId: "111122223333" }]);
    visible = await other.send(new DescribeSnapshotsCommand({ RestorableByUserIds: ["self"] }));
    assert.deepEqual(visible.Snapshots!.map((s) => s.SnapshotId), [snapshotId]);
    const theirs = await other.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", SnapshotId: snapshotId }));
    await stratus.clock.advance("2s");
    assert.ok((await store.read(theirs.VolumeId!, 0, BLOCK)).equals(pattern("shared", BLOCK)));
    await ec2.send(new ModifySnapshotAttributeCommand({ SnapshotId: snapshotId, CreateVolumePermission: { Remove: [{ UserId: "111122223333" }] } }));
    visible = await other.send(new DescribeSnapshotsCommand({ RestorableByUserIds: ["self"] }));
    assert.equal(visible.Snapshots!.length, 0);
    const blocks = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId }));
    assert.equal(blocks.Blocks!.length, 1);
  });
});
