/**
 * Volumes written behind the block store's back, as a running instance's
 * block device writes them (any host: the test writes the volume's file
 * itself): snapshots taken while the volume is exposed, and the one after,
 * capture exactly what the file holds — new data, changed blocks, blocks
 * zeroed again — and share the rest with the previous snapshot. Also the
 * names instances give EBS devices and the extent map the scan relies on.
 */
import assert from "node:assert/strict";
import { openSync, writeSync, closeSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { EBSClient, GetSnapshotBlockCommand, ListChangedBlocksCommand, ListSnapshotBlocksCommand } from "@aws-sdk/client-ebs";
import { CreateSnapshotCommand, CreateVolumeCommand, EC2Client } from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { byIdLink, guestDeviceName, nodeCommands } from "../../src/runtime/block-devices.js";
import { blocksOf } from "../../src/services/ebs/blocks/extents.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";
import { BLOCK, blockStore, pattern } from "./helpers.js";

describe("volumes an instance writes as block devices", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let ebs: EBSClient;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual" });
    ec2 = new EC2Client(sdkConfig(stratus));
    ebs = new EBSClient(sdkConfig(stratus));
  });
  after(() => stratus.stop());

  /** Writes into the volume's file directly, as the kernel does for a loop device. */
  function writeFile(volumeId: string, index: number, data: Buffer): void {
    const fd = openSync(blockStore(stratus).volumePath(volumeId), "r+");
    try {
      writeSync(fd, data, 0, data.length, index * BLOCK);
    } finally {
      closeSync(fd);
    }
  }

  async function snapshot(volumeId: string): Promise<string> {
    const { SnapshotId } = await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId }));
    await stratus.clock.advance("1m");
    return SnapshotId!;
  }

  async function blockBytes(snapshotId: string, index: number): Promise<Buffer> {
    const { Blocks } = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId }));
    const token = Blocks!.find((b) => b.BlockIndex === index)!.BlockToken!;
    const got = await ebs.send(new GetSnapshotBlockCommand({ SnapshotId: snapshotId, BlockIndex: index, BlockToken: token }));
    return Buffer.from(await got.BlockData!.transformToByteArray());
  }

  const changed = async (first: string, second: string) =>
    (await ebs.send(new ListChangedBlocksCommand({ FirstSnapshotId: first, SecondSnapshotId: second }))).ChangedBlocks!.map((b) => b.BlockIndex);

  it("captures what was written behind the store's back while exposed, and after", async () => {
    const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 4, VolumeType: "gp3" }));
    await stratus.clock.advance("5s");
    const volumeId = VolumeId!;
    const store = blockStore(stratus);
    store.expose(volumeId, true);

    const a = pattern("a", BLOCK);
    const b = pattern("b", BLOCK);
    writeFile(volumeId, 3, a);
    writeFile(volumeId, 7000, b); // near the end of the 4 GiB volume
    const first = await snapshot(volumeId);
    const { Blocks } = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: first }));
    assert.deepEqual(Blocks!.map((x) => x.BlockIndex), [3, 7000]);
    assert.ok((await blockBytes(first, 3)).equals(a));
    assert.ok((await blockBytes(first, 7000)).equals(b));

    // Still exposed: the next snapshot compares again; unchanged blocks are shared, not changed.
    const same = await snapshot(volumeId);
    assert.deepEqual(await changed(first, same), []);

    // A block rewritten and one zeroed again (a discard), then the volume is no longer exposed: the snapshot after still sees both.
    const c = pattern("c", BLOCK);
    writeFile(volumeId, 3, c);
    writeFile(volumeId, 7000, Buffer.alloc(BLOCK));
    store.expose(volumeId, false);
    const after = await snapshot(volumeId);
    assert.deepEqual(await changed(same, after), [3, 7000]);
    const { Blocks: left } = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: after }));
    assert.deepEqual(left!.map((x) => x.BlockIndex), [3]);
    assert.ok((await blockBytes(after, 3)).equals(c));
  });

  it("names devices as the instance's hypervisor does", () => {
    assert.equal(guestDeviceName("t3.micro", "/dev/sdf", 1), "nvme1n1");
    assert.equal(guestDeviceName("m5.large", "/dev/xvdh", 2), "nvme2n1");
    assert.equal(guestDeviceName("t2.micro", "/dev/sdf", 1), "xvdf");
    assert.equal(guestDeviceName("t2.micro", "/dev/xvdg", 1), "xvdg");
    assert.equal(byIdLink("vol-0123456789abcdef0"), "disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0");
    // What goes into the instance's shell is a plain name, never a shell's words.
    const loop = { path: "/dev/loop9", major: 7, minor: 9 };
    assert.match(nodeCommands('"$1"', { name: "nvme1n1", loop, volumeId: "vol-0123456789abcdef0", nitro: true }, true), /mknod -m 660 "\$1"\/nvme1n1 b 7 9/);
    assert.throws(() => nodeCommands('"$1"', { name: "xvdf;reboot", loop, volumeId: "vol-0123456789abcdef0", nitro: false }, true));
  });

  it("reads filefrag's extent map into blocks (none where it could not be read)", () => {
    const report = [
      "Filesystem type is: ef53",
      "File size of v.img is 53687091200 (104857600 blocks of 512 bytes)",
      " ext:     logical_offset:        physical_offset: length:   expected: flags:",
      "   0:       40..      47:          0..         0:      0:             unknown_loc,delalloc",
      "   1:  2048000.. 2054143:   34816..   40959:   6144:             last",
      "v.img: 2 extents found",
    ].join("\n");
    // 512-byte units: 40..47 is in block 0; 2048000..2054143 is bytes 1000 MiB..1003 MiB, blocks 2000..2005.
    assert.deepEqual(blocksOf(report, BLOCK), [0, 2000, 2001, 2002, 2003, 2004, 2005]);
    assert.equal(blocksOf("filefrag: Operation not supported", BLOCK), undefined);
  });
});
