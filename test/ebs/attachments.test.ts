import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AttachVolumeCommand,
  CreateImageCommand,
  CreateSnapshotsCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";
import { BLOCK, blockStore, pattern } from "./helpers.js";

const fails = (code: string, message?: RegExp) => (error: any) => {
  assert.equal(error.name, code, `${error.name}: ${error.message}`);
  if (message) assert.match(error.message, message);
  return true;
};

describe("EBS volumes on instances (SDK v3)", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let imageId: string;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: "2025-03-01T00:00:00Z" });
    ec2 = new EC2Client(sdkConfig(stratus));
    const { Images } = await ec2.send(
      new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: ["ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"] }] }),
    );
    imageId = Images![0].ImageId!;
  });
  after(() => stratus.stop());

  async function instance(zone = "us-east-1a", extra: Record<string, unknown> = {}) {
    const { Instances } = await ec2.send(
      new RunInstancesCommand({ ImageId: imageId, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: zone }, ...extra } as any),
    );
    await stratus.clock.advance("10s");
    return Instances![0];
  }

  async function volume(zone = "us-east-1a", extra: Record<string, unknown> = {}) {
    const created = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: zone, Size: 10, VolumeType: "gp3", ...extra } as any));
    await stratus.clock.advance("1s");
    return created.VolumeId!;
  }

  const describeVolume = async (id: string) => (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }))).Volumes![0];

  it("launches the root and extra volumes from the block device mappings and deletes them at termination", async () => {
    const launched = await instance("us-east-1b", {
      BlockDeviceMappings: [
        { DeviceName: "/dev/sda1", Ebs: { VolumeSize: 20, VolumeType: "gp3", DeleteOnTermination: true } },
        { DeviceName: "/dev/sdh", Ebs: { VolumeSize: 30, VolumeType: "io1", Iops: 600, DeleteOnTermination: false } },
      ],
      TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "Team", Value: "ml" }] }],
    });
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [launched.InstanceId!] }));
    const mappings = Reservations![0].Instances![0].BlockDeviceMappings!;
    assert.deepEqual(mappings.map((m) => m.DeviceName).sort(), ["/dev/sda1", "/dev/sdh"]);
    const root = await describeVolume(mappings.find((m) => m.DeviceName === "/dev/sda1")!.Ebs!.VolumeId!);
    assert.equal(root.Size, 20);
    assert.equal(root.VolumeType, "gp3");
    assert.equal(root.State, "in-use");
    assert.equal(root.AvailabilityZone, "us-east-1b");
    assert.match(root.SnapshotId!, /^snap-/, "the root volume shows the image's snapshot");
    assert.deepEqual(root.Tags, [{ Key: "Team", Value: "ml" }]);
    assert.equal(root.Attachments![0].DeleteOnTermination, true);
    const data = mappings.find((m) => m.DeviceName === "/dev/sdh")!.Ebs!.VolumeId!;
    const byInstance = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "attachment.instance-id", Values: [launched.InstanceId!] }, { Name: "attachment.status", Values: ["attached"] }] }));
    assert.equal(byInstance.Volumes!.length, 2);
    const volumesBefore = (await ec2.send(new DescribeVolumesCommand({}))).Volumes!.length;
    await assert.rejects(
      ec2.send(new RunInstancesCommand({ ImageId: imageId, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, BlockDeviceMappings: [{ DeviceName: "/dev/sdh", Ebs: { VolumeSize: 10, VolumeType: "gp3", Iops: 100 } }] })),
      fails("InvalidParameterValue"),
    );
    assert.equal((await ec2.send(new DescribeVolumesCommand({}))).Volumes!.length, volumesBefore, "a launch with an invalid mapping creates no volume");

    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [launched.InstanceId!] }));
    await stratus.clock.advance("10s");
    await assert.rejects(ec2.send(new DescribeVolumesCommand({ VolumeIds: [root.VolumeId!] })), fails("InvalidVolume.NotFound"));
    const kept = await describeVolume(data);
    assert.equal(kept.State, "available");
    assert.deepEqual(kept.Attachments, []);
  });

  it("attaches and detaches with AWS's rules", async () => {
    const box = await instance();
    const other = await instance("us-east-1c");
    const volumeId = await volume();
    await assert.rejects(ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: other.InstanceId!, Device: "/dev/sdf" })), fails("InvalidVolume.ZoneMismatch", new RegExp(`The volume '${volumeId}' is not in the same availability zone as instance '${other.InstanceId}'`)));
    await assert.rejects(ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: "i-0123456789abcdef0", Device: "/dev/sdf" })), fails("InvalidInstanceID.NotFound"));
    await assert.rejects(ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: box.InstanceId!, Device: "/dev/nvme1n1" })), fails("InvalidParameterValue", /not a valid EBS device name/));
    await assert.rejects(ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: box.InstanceId!, Device: box.RootDeviceName! })), fails("InvalidParameterValue", /already in use/));
    const attached = await ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: box.InstanceId!, Device: "/dev/sdf" }));
    assert.equal(attached.State, "attaching");
    assert.equal((await describeVolume(volumeId)).State, "in-use");
    await stratus.clock.advance("1s");
    assert.equal((await describeVolume(volumeId)).Attachments![0].State, "attached");
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [box.InstanceId!] }));
    assert.ok(Reservations![0].Instances![0].BlockDeviceMappings!.some((m) => m.DeviceName === "/dev/sdf" && m.Ebs!.VolumeId === volumeId));
    await assert.rejects(ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: box.InstanceId!, Device: "/dev/sdg" })), fails("VolumeInUse", /is already attached to an instance/));
    await assert.rejects(ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId })), fails("VolumeInUse", new RegExp(`Volume ${volumeId} is currently attached to ${box.InstanceId}`)));
    const second = await volume();
    await assert.rejects(ec2.send(new AttachVolumeCommand({ VolumeId: second, InstanceId: box.InstanceId!, Device: "/dev/sdf" })), fails("InvalidParameterValue", /Attachment point \/dev\/sdf is already in use/));
    await assert.rejects(ec2.send(new DetachVolumeCommand({ VolumeId: second })), fails("IncorrectState"));
    await assert.rejects(ec2.send(new DetachVolumeCommand({ VolumeId: volumeId, InstanceId: other.InstanceId! })), fails("InvalidAttachment.NotFound"));
    const rootId = Reservations![0].Instances![0].BlockDeviceMappings!.find((m) => m.DeviceName === box.RootDeviceName)!.Ebs!.VolumeId!;
    await assert.rejects(ec2.send(new DetachVolumeCommand({ VolumeId: rootId })), fails("OperationNotPermitted"));

    const detaching = await ec2.send(new DetachVolumeCommand({ VolumeId: volumeId }));
    assert.equal(detaching.State, "detaching");
    await stratus.clock.advance("1s");
    const detached = await describeVolume(volumeId);
    assert.equal(detached.State, "available");
    assert.deepEqual(detached.Attachments, []);
    await ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: box.InstanceId!, Device: "/dev/sdf" }));
    await ec2.send(new DetachVolumeCommand({ VolumeId: volumeId, Force: true }));
    await stratus.clock.advance("1s");
    await ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }));
  });

  it("lets io2 Multi-Attach volumes attach to several instances", async () => {
    const a = await instance("us-east-1d");
    const b = await instance("us-east-1d");
    const shared = await volume("us-east-1d", { VolumeType: "io2", Iops: 1000, MultiAttachEnabled: true });
    await ec2.send(new AttachVolumeCommand({ VolumeId: shared, InstanceId: a.InstanceId!, Device: "/dev/sdf" }));
    await ec2.send(new AttachVolumeCommand({ VolumeId: shared, InstanceId: b.InstanceId!, Device: "/dev/sdf" }));
    await stratus.clock.advance("1s");
    const v = await describeVolume(shared);
    assert.deepEqual(v.Attachments!.map((x) => x.InstanceId).sort(), [a.InstanceId, b.InstanceId].sort());
    await assert.rejects(ec2.send(new AttachVolumeCommand({ VolumeId: shared, InstanceId: a.InstanceId!, Device: "/dev/sdg" })), fails("VolumeInUse"));
  });

  it("snapshots every volume of an instance, and an image's snapshots are in use until it is deregistered", async () => {
    const box = await instance("us-east-1a", { BlockDeviceMappings: [{ DeviceName: "/dev/sdj", Ebs: { VolumeSize: 1, VolumeType: "gp3" } }] });
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [box.InstanceId!] }));
    const dataVolume = Reservations![0].Instances![0].BlockDeviceMappings!.find((m) => m.DeviceName === "/dev/sdj")!.Ebs!.VolumeId!;
    await blockStore(stratus).write(dataVolume, 0, pattern("image-data", BLOCK));

    const set = await ec2.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: box.InstanceId!, ExcludeBootVolume: true }, Description: "set", CopyTagsFromSource: "volume" }));
    assert.deepEqual(set.Snapshots!.map((s) => s.VolumeId), [dataVolume]);
    const all = await ec2.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: box.InstanceId! } }));
    assert.equal(all.Snapshots!.length, 2);

    const { ImageId } = await ec2.send(new CreateImageCommand({ InstanceId: box.InstanceId!, Name: "with-data" }));
    await stratus.clock.advance("1m");
    const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0];
    const snapshotId = image.BlockDeviceMappings!.find((m) => m.DeviceName === "/dev/sdj")!.Ebs!.SnapshotId!;
    const snapshot = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }))).Snapshots![0];
    assert.equal(snapshot.Description, `Created by CreateImage(${box.InstanceId}) for ${ImageId}`);
    assert.equal(snapshot.State, "completed");
    await assert.rejects(ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })), fails("InvalidSnapshot.InUse", new RegExp(ImageId!)));

    // An instance launched from the new image gets the bytes back.
    const copy = await instance("us-east-1a", { ImageId });
    const copyMappings = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [copy.InstanceId!] }))).Reservations![0].Instances![0].BlockDeviceMappings!;
    const restored = copyMappings.find((m) => m.DeviceName === "/dev/sdj")!.Ebs!.VolumeId!;
    assert.ok((await blockStore(stratus).read(restored, 0, BLOCK)).equals(pattern("image-data", BLOCK)));

    await ec2.send(new DeregisterImageCommand({ ImageId: ImageId! }));
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
  });

  it("volume-in-use waiter through /usr/bin/aws", async () => {
    const box = await instance();
    const volumeId = await volume();
    await ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: box.InstanceId!, Device: "/dev/sdk" }));
    const waited = await awsCli(stratus, ["ec2", "wait", "volume-in-use", "--volume-ids", volumeId]);
    assert.equal(waited.code, 0, waited.stderr);
  });
});
