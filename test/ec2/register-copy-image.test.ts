/**
 * RegisterImage from a snapshot and CopyImage across regions (the image's
 * snapshots copied with it), each then launched.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CopyImageCommand,
  CreateImageCommand,
  CreateSnapshotCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  RegisterImageCommand,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig } from "../support/stratus.js";
import { JAMMY_FILTER, rejectsWith, startEc2 } from "./support.js";

describe("EC2 RegisterImage and CopyImage", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let west: EC2Client;
  let ami: string;
  let instanceId: string;

  before(async () => {
    ({ stratus, ec2 } = await startEc2());
    west = new EC2Client(sdkConfig(stratus, "us-west-2"));
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: [JAMMY_FILTER] }] }));
    ami = Images![0].ImageId!;
    instanceId = (await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1 }))).Instances![0].InstanceId!;
    await stratus.clock.advance("30s");
  });
  after(() => stratus.stop());

  it("registers an image from a snapshot and launches it", async () => {
    const { Volumes } = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "attachment.instance-id", Values: [instanceId] }] }));
    const snapshot = await ec2.send(new CreateSnapshotCommand({ VolumeId: Volumes![0].VolumeId }));
    await stratus.clock.advance("10m");
    await rejectsWith(
      ec2.send(new RegisterImageCommand({ Name: "from-missing", RootDeviceName: "/dev/sda1", BlockDeviceMappings: [{ DeviceName: "/dev/sda1", Ebs: { SnapshotId: "snap-0123456789abcdef0" } }] })),
      "InvalidSnapshot.NotFound",
    );
    await rejectsWith(
      ec2.send(new RegisterImageCommand({ Name: "too-small", RootDeviceName: "/dev/sda1", BlockDeviceMappings: [{ DeviceName: "/dev/sda1", Ebs: { SnapshotId: snapshot.SnapshotId, VolumeSize: 1 } }] })),
      "InvalidBlockDeviceMapping",
    );
    const { ImageId } = await ec2.send(
      new RegisterImageCommand({
        Name: "registered-root",
        Description: "from a snapshot",
        Architecture: "x86_64",
        RootDeviceName: "/dev/sda1",
        VirtualizationType: "hvm",
        EnaSupport: true,
        BlockDeviceMappings: [{ DeviceName: "/dev/sda1", Ebs: { SnapshotId: snapshot.SnapshotId, VolumeType: "gp3" } }],
        TagSpecifications: [{ ResourceType: "image", Tags: [{ Key: "kind", Value: "registered" }] }],
      }),
    );
    await rejectsWith(
      ec2.send(new RegisterImageCommand({ Name: "registered-root", RootDeviceName: "/dev/sda1", BlockDeviceMappings: [{ DeviceName: "/dev/sda1", Ebs: { SnapshotId: snapshot.SnapshotId } }] })),
      "InvalidAMIName.Duplicate",
    );
    await stratus.clock.advance("5s");
    const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0];
    assert.equal(image.State, "available");
    assert.equal(image.RootDeviceName, "/dev/sda1");
    assert.equal(image.BlockDeviceMappings![0].Ebs!.VolumeSize, snapshot.VolumeSize);
    assert.deepEqual(image.Tags, [{ Key: "kind", Value: "registered" }]);
    const run = await ec2.send(new RunInstancesCommand({ ImageId, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1 }));
    assert.equal(run.Instances![0].ImageId, ImageId);
  });

  it("copies an image to another region with its snapshots, and launches the copy there", async () => {
    const created = await ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: "to-copy", TagSpecifications: [{ ResourceType: "image", Tags: [{ Key: "team", Value: "ml" }] }] }));
    await rejectsWith(west.send(new CopyImageCommand({ SourceImageId: created.ImageId, SourceRegion: "us-east-1", Name: "early" })), "InvalidAMIID.Unavailable");
    await stratus.clock.advance("10m");
    await rejectsWith(west.send(new CopyImageCommand({ SourceImageId: "ami-0123456789abcdef0", SourceRegion: "us-east-1", Name: "nope" })), "InvalidAMIID.NotFound");

    const copy = await awsCli(
      stratus,
      ["ec2", "copy-image", "--source-image-id", created.ImageId!, "--source-region", "us-east-1", "--name", "copied", "--copy-image-tags", "--query", "ImageId", "--output", "text"],
      { region: "us-west-2" },
    );
    assert.equal(copy.code, 0, copy.stderr);
    const copiedId = copy.stdout.trim();
    assert.match(copiedId, /^ami-[0-9a-f]{17}$/);
    const pending = (await west.send(new DescribeImagesCommand({ ImageIds: [copiedId] }))).Images![0];
    assert.equal(pending.State, "pending");
    assert.equal(pending.SourceImageId, created.ImageId);
    assert.equal(pending.SourceImageRegion, "us-east-1");
    assert.deepEqual(pending.Tags, [{ Key: "team", Value: "ml" }]);
    const snapshotId = pending.BlockDeviceMappings![0].Ebs!.SnapshotId!;
    const { Snapshots } = await west.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
    assert.match(Snapshots![0].Description!, new RegExp(`Copied for DestinationAmi ${copiedId} from SourceAmi ${created.ImageId}`));

    await stratus.clock.advance("30m");
    assert.equal((await west.send(new DescribeImagesCommand({ ImageIds: [copiedId] }))).Images![0].State, "available");
    const run = await west.send(new RunInstancesCommand({ ImageId: copiedId, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1 }));
    assert.equal(run.Instances![0].Placement!.AvailabilityZone!.startsWith("us-west-2"), true);
    // The copy's id means nothing in the source region.
    await rejectsWith(ec2.send(new DescribeImagesCommand({ ImageIds: [copiedId] })), "InvalidAMIID.NotFound");
  });
});
