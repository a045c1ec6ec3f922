import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeVolumeAttributeCommand,
  DescribeVolumesCommand,
  DescribeVolumesModificationsCommand,
  DescribeVolumeStatusCommand,
  EC2Client,
  DisableEbsEncryptionByDefaultCommand,
  EnableEbsEncryptionByDefaultCommand,
  GetEbsDefaultKmsKeyIdCommand,
  GetEbsEncryptionByDefaultCommand,
  ModifyEbsDefaultKmsKeyIdCommand,
  ModifyVolumeCommand,
  ResetEbsDefaultKmsKeyIdCommand,
} from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";
import { holdClock } from "./helpers.js";

const rejectsWith = (code: string, message?: RegExp) => (error: any) => {
  assert.equal(error.name, code, `${error.name}: ${error.message}`);
  assert.equal(error.$metadata?.httpStatusCode, 400);
  if (message) assert.match(error.message, message);
  return true;
};

describe("EBS volumes (SDK v3)", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: "2025-03-01T00:00:00Z" });
    ec2 = new EC2Client(sdkConfig(stratus));
  });
  after(() => stratus.stop());

  const create = (input: Record<string, unknown>) => ec2.send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", ...input } as any));

  it("creates a gp3 volume with AWS's defaults, creating then available on the clock", async () => {
    const volume = await create({ Size: 50, VolumeType: "gp3" });
    assert.match(volume.VolumeId!, /^vol-[0-9a-f]{17}$/);
    assert.equal(volume.State, "creating");
    assert.equal(volume.Iops, 3000);
    assert.equal(volume.Throughput, 125);
    assert.equal(volume.Encrypted, false);
    assert.equal(volume.SnapshotId, "");
    assert.equal(volume.AvailabilityZone, "us-east-1a");
    await stratus.clock.advance("2s");
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volume.VolumeId!] }));
    assert.equal(Volumes![0].State, "available");
    assert.deepEqual(Volumes![0].Attachments, []);
  });

  it("defaults to gp2 with its baseline IOPS", async () => {
    const volume = await create({ Size: 100 });
    assert.equal(volume.VolumeType, "gp2");
    assert.equal(volume.Iops, 300);
    assert.equal(volume.Throughput, undefined);
  });

  it("applies each type's size, IOPS and throughput rules", async () => {
    await assert.rejects(create({ Size: 10, VolumeType: "gp3", Iops: 2000 }), rejectsWith("InvalidParameterValue", /too low; minimum is 3000/));
    await assert.rejects(create({ Size: 100, VolumeType: "gp3", Iops: 16001 }), rejectsWith("InvalidParameterValue", /maximum is 16000/));
    await assert.rejects(create({ Size: 100, VolumeType: "gp3", Throughput: 1001, Iops: 16000 }), rejectsWith("InvalidParameterValue", /maximum is 1000/));
    await assert.rejects(create({ Size: 100, VolumeType: "gp3", Throughput: 1000 }), rejectsWith("InvalidParameterValue", /Throughput \(MiBps\) to iops ratio of 0.333333 is too high/));
    await assert.rejects(create({ Size: 10, VolumeType: "gp3", Iops: 6000 }), rejectsWith("InvalidParameterValue", /Iops to volume size ratio of 600.000000 is too high; maximum is 500/));
    await assert.rejects(create({ Size: 100, VolumeType: "gp2", Iops: 500 }), rejectsWith("InvalidParameterCombination"));
    await assert.rejects(create({ Size: 100, VolumeType: "gp2", Throughput: 200 }), rejectsWith("InvalidParameterCombination"));
    await assert.rejects(create({ Size: 100, VolumeType: "io1" }), (e: any) => e.name === "MissingParameter");
    await assert.rejects(create({ Size: 3, VolumeType: "io2", Iops: 100 }), rejectsWith("InvalidParameterValue", /at least 4 GiB/));
    await assert.rejects(create({ Size: 10, VolumeType: "io1", Iops: 1000 }), rejectsWith("InvalidParameterValue", /ratio of 100.000000 is too high; maximum is 50/));
    await assert.rejects(create({ Size: 100, VolumeType: "st1" }), rejectsWith("InvalidParameterValue", /st1 volumes must be at least 125 GiB/));
    await assert.rejects(create({ Size: 1025, VolumeType: "standard" }), rejectsWith("InvalidParameterValue", /at most 1024 GiB/));
    await assert.rejects(create({ Size: 16385, VolumeType: "gp3" }), rejectsWith("InvalidParameterValue", /at most 16384 GiB/));
    await assert.rejects(create({ VolumeType: "gp3" }), (e: any) => e.name === "MissingParameter" && /size or snapshotId/.test(e.message));
    await assert.rejects(create({ Size: 10, KmsKeyId: "alias/mine" }), (e: any) => e.name === "InvalidParameterDependency");
    await assert.rejects(create({ Size: 10, AvailabilityZone: "us-east-1z" }), rejectsWith("InvalidParameterValue", /us-east-1z/));
    await assert.rejects(create({ Size: 10, VolumeType: "gp2", MultiAttachEnabled: true }), rejectsWith("InvalidParameterCombination"));
    const io2 = await create({ Size: 100, VolumeType: "io2", Iops: 64000, MultiAttachEnabled: true });
    assert.equal(io2.Iops, 64000);
    assert.equal(io2.MultiAttachEnabled, true);
    const fast = await create({ Size: 2000, VolumeType: "gp3", Iops: 16000, Throughput: 1000 });
    assert.equal(fast.Throughput, 1000);
    const st1 = await create({ Size: 500, VolumeType: "st1" });
    assert.equal(st1.Iops, undefined);
  });

  it("records encryption with the default EBS key or the one given", async () => {
    const plain = await create({ Size: 8, Encrypted: true });
    assert.equal(plain.Encrypted, true);
    assert.match(plain.KmsKeyId!, /^arn:aws:kms:us-east-1:000000000000:key\/[0-9a-f-]{36}$/);
    const keyed = await create({ Size: 8, Encrypted: true, KmsKeyId: "1234abcd-12ab-34cd-56ef-1234567890ab" });
    assert.equal(keyed.KmsKeyId, "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab");
  });

  it("encrypts every new volume once encryption by default is on", async () => {
    const west = new EC2Client(sdkConfig(stratus, "us-west-1"));
    assert.equal((await west.send(new GetEbsEncryptionByDefaultCommand({}))).EbsEncryptionByDefault, false);
    assert.equal((await west.send(new GetEbsDefaultKmsKeyIdCommand({}))).KmsKeyId, "arn:aws:kms:us-west-1:000000000000:alias/aws/ebs");
    await west.send(new EnableEbsEncryptionByDefaultCommand({}));
    const key = await west.send(new ModifyEbsDefaultKmsKeyIdCommand({ KmsKeyId: "1234abcd-12ab-34cd-56ef-1234567890ab" }));
    assert.equal(key.KmsKeyId, "arn:aws:kms:us-west-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    const volume = await west.send(new CreateVolumeCommand({ AvailabilityZone: "us-west-1a", Size: 5 }));
    assert.equal(volume.Encrypted, true);
    assert.equal(volume.KmsKeyId, key.KmsKeyId);
    await west.send(new ResetEbsDefaultKmsKeyIdCommand({}));
    await west.send(new DisableEbsEncryptionByDefaultCommand({}));
    assert.equal((await west.send(new CreateVolumeCommand({ AvailabilityZone: "us-west-1a", Size: 5 }))).Encrypted, false);
    const east = await create({ Size: 5 });
    assert.equal(east.Encrypted, false, "the setting is per region");
  });

  it("describes with filters and pages with MaxResults/NextToken", async () => {
    for (let i = 0; i < 7; i++) {
      await create({
        Size: 20 + i,
        VolumeType: i % 2 ? "gp3" : "io1",
        Iops: i % 2 ? undefined : 1000,
        TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "Project", Value: "paging" }, { Key: "Index", Value: String(i) }] }],
      });
    }
    const tagged = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "tag:Project", Values: ["paging"] }] }));
    assert.equal(tagged.Volumes!.length, 7);
    const gp3 = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "tag:Project", Values: ["paging"] }, { Name: "volume-type", Values: ["gp3"] }] }));
    assert.equal(gp3.Volumes!.length, 3);
    const sized = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "size", Values: ["20", "21"] }, { Name: "tag-key", Values: ["Index"] }] }));
    assert.deepEqual(sized.Volumes!.map((v) => v.Size).sort(), [20, 21]);
    const wild = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "tag:Proj*", Values: ["pag*"] }] }));
    assert.equal(wild.Volumes!.length, 0, "tag keys do not take wildcards");
    const first = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "tag:Project", Values: ["paging"] }], MaxResults: 5 }));
    assert.equal(first.Volumes!.length, 5);
    assert.ok(first.NextToken);
    const second = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "tag:Project", Values: ["paging"] }], MaxResults: 5, NextToken: first.NextToken }));
    assert.equal(second.Volumes!.length, 2);
    assert.equal(second.NextToken, undefined);
    const ids = new Set([...first.Volumes!, ...second.Volumes!].map((v) => v.VolumeId));
    assert.equal(ids.size, 7);
    await assert.rejects(
      ec2.send(new DescribeVolumesCommand({ VolumeIds: [first.Volumes![0].VolumeId!], MaxResults: 5 })),
      rejectsWith("InvalidParameterCombination"),
    );
    await assert.rejects(ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "colour", Values: ["blue"] }] })), rejectsWith("InvalidParameterValue", /colour/));
  });

  it("answers InvalidVolume.NotFound and InvalidVolumeID.Malformed", async () => {
    await assert.rejects(
      ec2.send(new DescribeVolumesCommand({ VolumeIds: ["vol-0123456789abcdef0"] })),
      rejectsWith("InvalidVolume.NotFound", /The volume 'vol-0123456789abcdef0' does not exist/),
    );
    await assert.rejects(ec2.send(new DeleteVolumeCommand({ VolumeId: "vol-0123456789abcdef0" })), rejectsWith("InvalidVolume.NotFound"));
    await assert.rejects(ec2.send(new DescribeVolumesCommand({ VolumeIds: ["vol-xyz"] })), rejectsWith("InvalidVolumeID.Malformed"));
  });

  it("modifies a volume: modifying → optimizing → completed, with AWS's limits", async () => {
    holdClock(stratus);
    const volume = await create({ Size: 10, VolumeType: "gp2" });
    await assert.rejects(ec2.send(new ModifyVolumeCommand({ VolumeId: volume.VolumeId!, Size: 20 })), rejectsWith("IncorrectState"));
    await stratus.clock.advance("2s");
    await assert.rejects(ec2.send(new ModifyVolumeCommand({ VolumeId: volume.VolumeId!, Size: 5 })), rejectsWith("InvalidParameterValue", /smaller/));
    const { VolumeModification } = await ec2.send(new ModifyVolumeCommand({ VolumeId: volume.VolumeId!, Size: 40, VolumeType: "gp3", Iops: 4000, Throughput: 250 }));
    assert.equal(VolumeModification!.ModificationState, "modifying");
    assert.equal(VolumeModification!.OriginalSize, 10);
    assert.equal(VolumeModification!.TargetSize, 40);
    assert.equal(VolumeModification!.TargetVolumeType, "gp3");
    assert.equal(VolumeModification!.OriginalVolumeType, "gp2");
    const described = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volume.VolumeId!] }));
    assert.equal(described.Volumes![0].Size, 40);
    assert.equal(described.Volumes![0].Iops, 4000);
    await stratus.clock.advance("2500ms");
    holdClock(stratus);
    let mods = await ec2.send(new DescribeVolumesModificationsCommand({ VolumeIds: [volume.VolumeId!] }));
    assert.equal(mods.VolumesModifications![0].ModificationState, "optimizing");
    await stratus.clock.advance("3s");
    mods = await ec2.send(new DescribeVolumesModificationsCommand({ Filters: [{ Name: "modification-state", Values: ["completed"] }] }));
    const mine = mods.VolumesModifications!.find((m) => m.VolumeId === volume.VolumeId);
    assert.equal(mine?.Progress, 100);
    assert.ok(mine?.EndTime);
    await assert.rejects(
      ec2.send(new ModifyVolumeCommand({ VolumeId: volume.VolumeId!, Size: 50 })),
      (e: any) => e.name === "VolumeModificationRateExceeded",
      "a volume can be modified once every six hours",
    );
    await stratus.clock.advance("6h");
    await ec2.send(new ModifyVolumeCommand({ VolumeId: volume.VolumeId!, Size: 50 }));
    const other = await create({ Size: 10 });
    await assert.rejects(ec2.send(new DescribeVolumesModificationsCommand({ VolumeIds: [other.VolumeId!] })), rejectsWith("InvalidVolumeModification.NotFound"));
  });

  it("reports volume status and attributes, and deletes", async () => {
    holdClock(stratus);
    const volume = await create({ Size: 10, VolumeType: "io1", Iops: 500 });
    let status = await ec2.send(new DescribeVolumeStatusCommand({ VolumeIds: [volume.VolumeId!] }));
    assert.equal(status.VolumeStatuses![0].VolumeStatus!.Status, "insufficient-data");
    await stratus.clock.advance("2s");
    status = await ec2.send(new DescribeVolumeStatusCommand({ VolumeIds: [volume.VolumeId!] }));
    assert.equal(status.VolumeStatuses![0].VolumeStatus!.Status, "ok");
    assert.deepEqual(status.VolumeStatuses![0].VolumeStatus!.Details, [
      { Name: "io-enabled", Status: "passed" },
      { Name: "io-performance", Status: "normal" },
    ]);
    const attr = await ec2.send(new DescribeVolumeAttributeCommand({ VolumeId: volume.VolumeId!, Attribute: "autoEnableIO" }));
    assert.equal(attr.AutoEnableIO!.Value, false);
    await ec2.send(new DeleteVolumeCommand({ VolumeId: volume.VolumeId! }));
    await assert.rejects(ec2.send(new DescribeVolumesCommand({ VolumeIds: [volume.VolumeId!] })), rejectsWith("InvalidVolume.NotFound"));
  });

  it("works after a reset of the whole cloud", async () => {
    await stratus.reset();
    const volume = await create({ Size: 1 });
    await stratus.clock.advance("2s");
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({}));
    assert.deepEqual(Volumes!.map((v) => [v.VolumeId, v.State]), [[volume.VolumeId, "available"]]);
  });
});
