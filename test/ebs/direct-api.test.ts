import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  CompleteSnapshotCommand,
  EBSClient,
  GetSnapshotBlockCommand,
  ListChangedBlocksCommand,
  ListSnapshotBlocksCommand,
  PutSnapshotBlockCommand,
  StartSnapshotCommand,
} from "@aws-sdk/client-ebs";
import { DescribeSnapshotsCommand, EC2Client } from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";

const BLOCK = 512 * 1024;
const sha = (data: Buffer) => createHash("sha256").update(data).digest("base64");

async function bytesOf(body: any): Promise<Buffer> {
  return Buffer.from(await body.transformToByteArray());
}

describe("EBS direct API", () => {
  let stratus: RunningStratus;
  let ebs: EBSClient;
  let ec2: EC2Client;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual" });
    ebs = new EBSClient(sdkConfig(stratus));
    ec2 = new EC2Client(sdkConfig(stratus));
  });
  after(() => stratus.stop());

  async function writeSnapshot(blocks: Map<number, Buffer>, options: { parent?: string; size?: number } = {}) {
    const started = await ebs.send(new StartSnapshotCommand({ VolumeSize: options.size ?? 1, ParentSnapshotId: options.parent, Description: "direct", Tags: [{ Key: "k", Value: "v" }] }));
    assert.equal(started.Status, "pending");
    assert.equal(started.BlockSize, BLOCK);
    const id = started.SnapshotId!;
    for (const [index, data] of blocks) {
      const put = await ebs.send(
        new PutSnapshotBlockCommand({ SnapshotId: id, BlockIndex: index, BlockData: data, DataLength: data.length, Checksum: sha(data), ChecksumAlgorithm: "SHA256" }),
      );
      assert.equal(put.Checksum, sha(data));
    }
    const ordered = [...blocks.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => createHash("sha256").update(d).digest());
    const aggregate = createHash("sha256").update(Buffer.concat(ordered)).digest("base64");
    const done = await ebs.send(
      new CompleteSnapshotCommand({ SnapshotId: id, ChangedBlocksCount: blocks.size, Checksum: aggregate, ChecksumAlgorithm: "SHA256", ChecksumAggregationMethod: "LINEAR" }),
    );
    assert.equal(done.Status, "pending");
    await stratus.clock.advance("5s");
    const { Snapshots } = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }));
    assert.equal(Snapshots![0].State, "completed");
    return id;
  }

  it("writes blocks with PutSnapshotBlock and reads the same bytes back with their checksums", async () => {
    const blocks = new Map([
      [0, randomBytes(BLOCK)],
      [7, randomBytes(BLOCK)],
      [2047, randomBytes(BLOCK)],
    ]);
    const id = await writeSnapshot(blocks);
    const listed = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: id }));
    assert.deepEqual(
      listed.Blocks!.map((b) => b.BlockIndex),
      [0, 7, 2047],
    );
    assert.equal(listed.VolumeSize, 1);
    assert.equal(listed.BlockSize, BLOCK);
    for (const block of listed.Blocks!) {
      const got = await ebs.send(new GetSnapshotBlockCommand({ SnapshotId: id, BlockIndex: block.BlockIndex!, BlockToken: block.BlockToken! }));
      const data = await bytesOf(got.BlockData);
      assert.ok(data.equals(blocks.get(block.BlockIndex!)!), `block ${block.BlockIndex} differs`);
      assert.equal(got.Checksum, sha(data));
      assert.equal(got.ChecksumAlgorithm, "SHA256");
      assert.equal(got.DataLength, BLOCK);
    }
  });

  it("lists only the blocks changed between a parent and its child", async () => {
    const a = randomBytes(BLOCK);
    const b = randomBytes(BLOCK);
    const parent = await writeSnapshot(new Map([[1, a], [2, b]]));
    const c = randomBytes(BLOCK);
    const child = await writeSnapshot(new Map([[2, c], [5, a]]), { parent });
    const childBlocks = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: child }));
    assert.deepEqual(childBlocks.Blocks!.map((x) => x.BlockIndex), [1, 2, 5]);
    const changed = await ebs.send(new ListChangedBlocksCommand({ FirstSnapshotId: parent, SecondSnapshotId: child }));
    assert.deepEqual(changed.ChangedBlocks!.map((x) => x.BlockIndex), [2, 5]);
    assert.ok(changed.ChangedBlocks![0].FirstBlockToken && changed.ChangedBlocks![0].SecondBlockToken);
    assert.equal(changed.ChangedBlocks![1].FirstBlockToken, undefined);
    const got = await ebs.send(new GetSnapshotBlockCommand({ SnapshotId: child, BlockIndex: 1, BlockToken: childBlocks.Blocks![0].BlockToken! }));
    assert.ok((await bytesOf(got.BlockData)).equals(a), "the child shares the parent's unchanged block");
  });

  it("pages ListSnapshotBlocks with MaxResults and NextToken", async () => {
    const blocks = new Map<number, Buffer>();
    const data = randomBytes(BLOCK);
    for (let i = 0; i < 150; i++) blocks.set(i * 3, data);
    const id = await writeSnapshot(blocks);
    const first = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: id, MaxResults: 100 }));
    assert.equal(first.Blocks!.length, 100);
    assert.ok(first.NextToken);
    const second = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: id, MaxResults: 100, NextToken: first.NextToken }));
    assert.equal(second.Blocks!.length, 50);
    assert.equal(second.NextToken, undefined);
    assert.equal(second.Blocks![0].BlockIndex, 300);
  });

  it("refuses a block whose checksum does not match, and wrong block tokens", async () => {
    const started = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    const data = randomBytes(BLOCK);
    await assert.rejects(
      ebs.send(new PutSnapshotBlockCommand({ SnapshotId: started.SnapshotId, BlockIndex: 0, BlockData: data, DataLength: BLOCK, Checksum: sha(randomBytes(8)), ChecksumAlgorithm: "SHA256" })),
      (e: any) => e.name === "ValidationException" && e.$metadata.httpStatusCode === 400,
    );
    await assert.rejects(
      ebs.send(new PutSnapshotBlockCommand({ SnapshotId: started.SnapshotId, BlockIndex: 2048, BlockData: data, DataLength: BLOCK, Checksum: sha(data), ChecksumAlgorithm: "SHA256" })),
      (e: any) => e.name === "ValidationException" && e.Reason === "INVALID_BLOCK",
    );
    await assert.rejects(
      ebs.send(new CompleteSnapshotCommand({ SnapshotId: started.SnapshotId, ChangedBlocksCount: 3 })),
      (e: any) => e.name === "ValidationException",
    );
    await assert.rejects(
      ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: started.SnapshotId })),
      (e: any) => e.name === "ValidationException",
      "a pending snapshot cannot be read",
    );
    const id = await writeSnapshot(new Map([[0, data]]));
    await assert.rejects(
      ebs.send(new GetSnapshotBlockCommand({ SnapshotId: id, BlockIndex: 1, BlockToken: "AAAA" })),
      (e: any) => e.name === "ValidationException" && e.Reason === "INVALID_BLOCK_TOKEN",
    );
    await assert.rejects(
      ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: "snap-0123456789abcdef0" })),
      (e: any) => e.name === "ResourceNotFoundException" && e.$metadata.httpStatusCode === 404,
    );
  });

  it("fails a snapshot that is not completed within its timeout", async () => {
    const started = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1, Timeout: 10 }));
    await stratus.clock.advance("11m");
    const { Snapshots } = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [started.SnapshotId!] }));
    assert.equal(Snapshots![0].State, "error");
  });
});
