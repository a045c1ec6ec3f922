/**
 * EBS direct API under kill -9: a client writing snapshot blocks concurrently
 * when the server dies finds, after the restart, every acknowledged block in
 * place, can put the rest again and complete the snapshot, and reads back
 * exactly what it wrote; the block pool holds no temp file and no file that
 * no snapshot references.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { CompleteSnapshotCommand, EBSClient, GetSnapshotBlockCommand, ListSnapshotBlocksCommand, PutSnapshotBlockCommand, StartSnapshotCommand } from "@aws-sdk/client-ebs";
import { CreateSnapshotCommand, CreateVolumeCommand, DescribeVolumesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { ChildStratus } from "./child.js";

const BLOCK = 512 * 1024;
const sha64 = (data: Buffer | Uint8Array) => createHash("sha256").update(data).digest("base64");

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe("EBS direct API across kill -9", () => {
  const stratus = new ChildStratus(["--clock", "virtual"]);
  after(() => stratus.dispose());

  it("keeps acknowledged blocks, lets the client finish the snapshot, and leaves no orphan block files", async () => {
    await stratus.start();
    const ebs = () => new EBSClient(stratus.config());
    const id = (await ebs().send(new StartSnapshotCommand({ VolumeSize: 1, Description: "crash" }))).SnapshotId!;
    const blocks = new Map(Array.from({ length: 48 }, (_, i) => [i * 5, randomBytes(BLOCK)] as const));
    const acknowledged = new Set<number>();
    let killed = false;
    const queue = [...blocks.keys()];
    const workers = Array.from({ length: 6 }, async () => {
      const client = ebs();
      for (let index = queue.shift(); index !== undefined && !killed; index = queue.shift()) {
        const data = blocks.get(index)!;
        try {
          await client.send(new PutSnapshotBlockCommand({ SnapshotId: id, BlockIndex: index, BlockData: data, DataLength: BLOCK, Checksum: sha64(data), ChecksumAlgorithm: "SHA256" }));
          acknowledged.add(index);
        } catch {
          // the server died under this block
        }
      }
    });
    while (acknowledged.size < 12) await new Promise((r) => setTimeout(r, 5));
    killed = true;
    await stratus.kill();
    await Promise.all(workers);
    await stratus.start();

    // Every block file left is referenced (the sweep ran at start-up), and nothing is a temp file.
    const files = walk(path.join(stratus.dataDir, "blobs", "ebs", "blocks"));
    assert.deepEqual(files.filter((f) => f.endsWith(".tmp")), []);
    const db = new Database(path.join(stratus.dataDir, "stratus.db"), { readonly: true });
    const known = new Set((db.prepare("SELECT hash FROM ebs_blocks").all() as Array<{ hash: string }>).map((r) => r.hash));
    db.close();
    assert.deepEqual(files.map((f) => path.basename(f)).filter((name) => !known.has(name)), [], "no orphan block files");

    // The client puts again whatever it had no answer for, then completes.
    for (const [index, data] of blocks) {
      if (acknowledged.has(index)) continue;
      await ebs().send(new PutSnapshotBlockCommand({ SnapshotId: id, BlockIndex: index, BlockData: data, DataLength: BLOCK, Checksum: sha64(data), ChecksumAlgorithm: "SHA256" }));
    }
    const ordered = [...blocks.keys()].sort((a, b) => a - b);
    const aggregate = createHash("sha256").update(Buffer.concat(ordered.map((i) => createHash("sha256").update(blocks.get(i)!).digest()))).digest("base64");
    await ebs().send(new CompleteSnapshotCommand({ SnapshotId: id, ChangedBlocksCount: blocks.size, Checksum: aggregate, ChecksumAlgorithm: "SHA256", ChecksumAggregationMethod: "LINEAR" }));
    await stratus.advance("1m");
    const listed = await ebs().send(new ListSnapshotBlocksCommand({ SnapshotId: id }));
    assert.deepEqual(listed.Blocks!.map((b) => b.BlockIndex), ordered);
    for (const block of listed.Blocks!) {
      const got = await ebs().send(new GetSnapshotBlockCommand({ SnapshotId: id, BlockIndex: block.BlockIndex!, BlockToken: block.BlockToken! }));
      assert.equal(sha64(Buffer.from(await got.BlockData!.transformToByteArray())), sha64(blocks.get(block.BlockIndex!)!), `block ${block.BlockIndex}`);
    }

    // A volume restored from the snapshot, killed while its bytes are being laid down, comes up whole:
    // a snapshot of it holds the same blocks.
    const ec2 = () => new EC2Client(stratus.config());
    const volumeId = (await ec2().send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", SnapshotId: id }))).VolumeId!;
    await stratus.restart("kill");
    await stratus.advance("1m");
    assert.equal((await ec2().send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes![0].State, "available");
    const copy = (await ec2().send(new CreateSnapshotCommand({ VolumeId: volumeId }))).SnapshotId!;
    await stratus.advance("10m");
    const copied = await ebs().send(new ListSnapshotBlocksCommand({ SnapshotId: copy }));
    assert.deepEqual(copied.Blocks!.map((b) => b.BlockIndex), ordered);
    for (const block of copied.Blocks!) {
      const got = await ebs().send(new GetSnapshotBlockCommand({ SnapshotId: copy, BlockIndex: block.BlockIndex!, BlockToken: block.BlockToken! }));
      assert.equal(sha64(Buffer.from(await got.BlockData!.transformToByteArray())), sha64(blocks.get(block.BlockIndex!)!), `restored block ${block.BlockIndex}`);
    }
  });
});
