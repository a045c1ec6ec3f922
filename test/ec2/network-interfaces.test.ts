/**
 * Network interfaces: every instance's primary interface, interfaces of their
 * own (create, attach, detach, modify, delete), DescribeNetworkInterfaces'
 * filters agreeing with DescribeInstances, and the aws CLI.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteNetworkInterfaceCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfaceAttributeCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  DetachNetworkInterfaceCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type Instance,
} from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { awsCli } from "../support/stratus.js";
import { JAMMY_FILTER, rejectsWith, startEc2 } from "./support.js";

describe("EC2 network interfaces", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let ami: string;
  let instance: Instance;

  before(async () => {
    ({ stratus, ec2 } = await startEc2());
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: [JAMMY_FILTER] }] }));
    ami = Images![0].ImageId!;
    const run = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: "us-east-1a" } }));
    await stratus.clock.advance("5s");
    instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [run.Instances![0].InstanceId!] }))).Reservations![0].Instances![0];
  });
  after(() => stratus.stop());

  it("shows every instance's primary interface, agreeing with DescribeInstances", async () => {
    const primary = instance.NetworkInterfaces![0];
    assert.match(primary.NetworkInterfaceId!, /^eni-[0-9a-f]{17}$/);
    const { NetworkInterfaces } = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "attachment.instance-id", Values: [instance.InstanceId!] }] }));
    assert.equal(NetworkInterfaces!.length, 1);
    const eni = NetworkInterfaces![0];
    assert.equal(eni.NetworkInterfaceId, primary.NetworkInterfaceId);
    assert.equal(eni.MacAddress, primary.MacAddress);
    assert.equal(eni.PrivateIpAddress, instance.PrivateIpAddress);
    assert.equal(eni.SubnetId, instance.SubnetId);
    assert.equal(eni.VpcId, instance.VpcId);
    assert.equal(eni.Status, "in-use");
    assert.equal(eni.Attachment!.DeviceIndex, 0);
    assert.equal(eni.Attachment!.AttachmentId, primary.Attachment!.AttachmentId);
    assert.equal(eni.Association!.PublicIp, instance.PublicIpAddress);
    assert.deepEqual(eni.Groups, instance.SecurityGroups);
    for (const [name, value] of [
      ["private-ip-address", instance.PrivateIpAddress!],
      ["subnet-id", instance.SubnetId!],
      ["group-id", instance.SecurityGroups![0].GroupId!],
      ["association.public-ip", instance.PublicIpAddress!],
      ["mac-address", primary.MacAddress!],
    ]) {
      const found = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: name, Values: [value] }] }));
      assert.deepEqual(found.NetworkInterfaces!.map((n) => n.NetworkInterfaceId), [eni.NetworkInterfaceId], name);
    }
    // An Elastic IP associated through the interface id.
    const { AllocationId, PublicIp } = await ec2.send(new AllocateAddressCommand({ Domain: "vpc" }));
    await ec2.send(new AssociateAddressCommand({ AllocationId, NetworkInterfaceId: eni.NetworkInterfaceId }));
    const withEip = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni.NetworkInterfaceId!] }));
    assert.equal(withEip.NetworkInterfaces![0].Association!.PublicIp, PublicIp);
    assert.equal(withEip.NetworkInterfaces![0].Association!.AllocationId, AllocationId);
    await rejectsWith(ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: eni.Attachment!.AttachmentId })), "OperationNotPermitted");
    await rejectsWith(ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni.NetworkInterfaceId })), "InvalidNetworkInterface.InUse");
    await rejectsWith(ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ["eni-0123456789abcdef0"] })), "InvalidNetworkInterfaceID.NotFound");
    await rejectsWith(ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ["eni-xyz"] })), "InvalidNetworkInterfaceID.Malformed");
  });

  it("creates, attaches, modifies, detaches and deletes an interface of its own", async () => {
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "eni-sg", Description: "eni" }))).GroupId!;
    const subnetBefore = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [instance.SubnetId!] }))).Subnets![0].AvailableIpAddressCount!;
    const { NetworkInterface } = await ec2.send(
      new CreateNetworkInterfaceCommand({
        SubnetId: instance.SubnetId,
        Description: "data plane",
        Groups: [sg],
        TagSpecifications: [{ ResourceType: "network-interface", Tags: [{ Key: "role", Value: "data" }] }],
      }),
    );
    const eni = NetworkInterface!;
    assert.equal(eni.Status, "available");
    assert.equal(eni.Description, "data plane");
    assert.deepEqual(eni.TagSet, [{ Key: "role", Value: "data" }]);
    assert.deepEqual(eni.Groups!.map((g) => g.GroupId), [sg]);
    assert.notEqual(eni.PrivateIpAddress, instance.PrivateIpAddress);
    const subnetAfter = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [instance.SubnetId!] }))).Subnets![0].AvailableIpAddressCount!;
    assert.equal(subnetAfter, subnetBefore - 1);
    await rejectsWith(ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg })), "DependencyViolation");
    await rejectsWith(ec2.send(new DeleteSubnetCommand({ SubnetId: instance.SubnetId })), "DependencyViolation");

    await ec2.send(new CreateTagsCommand({ Resources: [eni.NetworkInterfaceId!], Tags: [{ Key: "extra", Value: "1" }] }));
    const tagged = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "tag:extra", Values: ["1"] }] }));
    assert.deepEqual(tagged.NetworkInterfaces!.map((n) => n.NetworkInterfaceId), [eni.NetworkInterfaceId]);

    await rejectsWith(
      ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eni.NetworkInterfaceId, InstanceId: instance.InstanceId, DeviceIndex: 0 })),
      "InvalidParameterValue",
      /device index '0'/,
    );
    const { AttachmentId } = await ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eni.NetworkInterfaceId, InstanceId: instance.InstanceId, DeviceIndex: 1 }));
    assert.match(AttachmentId!, /^eni-attach-[0-9a-f]{17}$/);
    const described = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instance.InstanceId!] }))).Reservations![0].Instances![0];
    assert.deepEqual(described.NetworkInterfaces!.map((n) => [n.NetworkInterfaceId, n.Attachment!.DeviceIndex]), [
      [instance.NetworkInterfaces![0].NetworkInterfaceId, 0],
      [eni.NetworkInterfaceId, 1],
    ]);
    await rejectsWith(ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni.NetworkInterfaceId })), "InvalidNetworkInterface.InUse");
    const byInterface = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "network-interface.network-interface-id", Values: [eni.NetworkInterfaceId!] }] }));
    assert.deepEqual(byInterface.Reservations!.flatMap((r) => r.Instances!.map((i) => i.InstanceId)), [instance.InstanceId]);

    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni.NetworkInterfaceId, SourceDestCheck: { Value: false } }));
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni.NetworkInterfaceId, Description: { Value: "renamed" } }));
    const check = await ec2.send(new DescribeNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni.NetworkInterfaceId, Attribute: "sourceDestCheck" }));
    assert.equal(check.SourceDestCheck!.Value, false);
    const description = await ec2.send(new DescribeNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni.NetworkInterfaceId, Attribute: "description" }));
    assert.equal(description.Description!.Value, "renamed");

    // The primary interface's groups are the instance's.
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: instance.NetworkInterfaces![0].NetworkInterfaceId, Groups: [sg] }));
    const regrouped = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instance.InstanceId!] }))).Reservations![0].Instances![0];
    assert.deepEqual(regrouped.SecurityGroups!.map((g) => g.GroupId), [sg]);

    await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId }));
    const detached = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni.NetworkInterfaceId!] }));
    assert.equal(detached.NetworkInterfaces![0].Status, "available");
    assert.equal(detached.NetworkInterfaces![0].Attachment, undefined);
    await rejectsWith(ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId })), "InvalidAttachmentID.NotFound");
    await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni.NetworkInterfaceId }));
    await rejectsWith(ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni.NetworkInterfaceId!] })), "InvalidNetworkInterfaceID.NotFound");
  });

  it("detaches, or deletes with DeleteOnTermination, interfaces when their instance terminates", async () => {
    const run = await ec2.send(new RunInstancesCommand({ ImageId: ami, InstanceType: "t3.medium", MinCount: 1, MaxCount: 1, SubnetId: instance.SubnetId }));
    const id = run.Instances![0].InstanceId!;
    const primaryId = run.Instances![0].NetworkInterfaces![0].NetworkInterfaceId!;
    await stratus.clock.advance("5s");
    const keep = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: instance.SubnetId }))).NetworkInterface!;
    const drop = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: instance.SubnetId }))).NetworkInterface!;
    await ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: keep.NetworkInterfaceId, InstanceId: id, DeviceIndex: 1 }));
    const { AttachmentId } = await ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: drop.NetworkInterfaceId, InstanceId: id, DeviceIndex: 2 }));
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: drop.NetworkInterfaceId, Attachment: { AttachmentId, DeleteOnTermination: true } }));
    await rejectsWith(
      ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: instance.SubnetId }))).NetworkInterface!.NetworkInterfaceId, InstanceId: id, DeviceIndex: 3 })),
      "AttachmentLimitExceeded",
    );
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await stratus.clock.advance("5s");
    const { NetworkInterfaces } = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "network-interface-id", Values: [keep.NetworkInterfaceId!, drop.NetworkInterfaceId!, primaryId] }] }));
    assert.deepEqual(
      NetworkInterfaces!.map((n) => [n.NetworkInterfaceId, n.Status]),
      [[keep.NetworkInterfaceId, "available"]],
    );
  });

  it("launches onto an existing interface, and with extra interfaces, tagging them", async () => {
    const existing = (
      await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: instance.SubnetId, Description: "kept", TagSpecifications: [{ ResourceType: "network-interface", Tags: [{ Key: "eni", Value: "kept" }] }] }))
    ).NetworkInterface!;
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: ami,
        InstanceType: "t3.medium",
        MinCount: 1,
        MaxCount: 1,
        NetworkInterfaces: [
          { DeviceIndex: 0, NetworkInterfaceId: existing.NetworkInterfaceId },
          { DeviceIndex: 1, SubnetId: instance.SubnetId, Description: "extra" },
        ],
      }),
    );
    const launched = run.Instances![0];
    assert.equal(launched.PrivateIpAddress, existing.PrivateIpAddress);
    assert.equal(launched.NetworkInterfaces![0].NetworkInterfaceId, existing.NetworkInterfaceId);
    assert.equal(launched.NetworkInterfaces![0].MacAddress, existing.MacAddress);
    assert.equal(launched.NetworkInterfaces![0].Attachment!.DeleteOnTermination, false);
    assert.equal(launched.NetworkInterfaces![1].Description, "extra");
    assert.equal(launched.NetworkInterfaces![1].Attachment!.DeleteOnTermination, true);
    const extraId = launched.NetworkInterfaces![1].NetworkInterfaceId!;
    const found = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "attachment.instance-id", Values: [launched.InstanceId!] }] }));
    assert.deepEqual(found.NetworkInterfaces!.map((n) => n.NetworkInterfaceId).sort(), [existing.NetworkInterfaceId, extraId].sort());
    assert.deepEqual(found.NetworkInterfaces!.find((n) => n.NetworkInterfaceId === existing.NetworkInterfaceId)!.TagSet, [{ Key: "eni", Value: "kept" }]);
    await rejectsWith(
      ec2.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, NetworkInterfaces: [{ DeviceIndex: 0, NetworkInterfaceId: existing.NetworkInterfaceId }] })),
      "InvalidNetworkInterface.InUse",
    );

    // Primary interfaces take tags (CreateTags and RunInstances' network-interface TagSpecifications).
    await ec2.send(new CreateTagsCommand({ Resources: [instance.NetworkInterfaces![0].NetworkInterfaceId!], Tags: [{ Key: "primary", Value: "yes" }] }));
    const tagged = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "tag:primary", Values: ["yes"] }] }));
    assert.deepEqual(tagged.NetworkInterfaces!.map((n) => n.NetworkInterfaceId), [instance.NetworkInterfaces![0].NetworkInterfaceId]);
    const withTags = await ec2.send(
      new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: "network-interface", Tags: [{ Key: "launch", Value: "tagged" }] }] }),
    );
    const eniTags = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [withTags.Instances![0].NetworkInterfaces![0].NetworkInterfaceId!] }));
    assert.deepEqual(eniTags.NetworkInterfaces![0].TagSet, [{ Key: "launch", Value: "tagged" }]);

    // Terminating keeps the existing interface (DeleteOnTermination false) and removes the one made at launch.
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [launched.InstanceId!] }));
    await stratus.clock.advance("5s");
    const after = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "network-interface-id", Values: [existing.NetworkInterfaceId!, extraId] }] }));
    assert.deepEqual(after.NetworkInterfaces!.map((n) => [n.NetworkInterfaceId, n.Status, n.PrivateIpAddress]), [[existing.NetworkInterfaceId, "available", existing.PrivateIpAddress]]);
    assert.deepEqual(after.NetworkInterfaces![0].TagSet, [{ Key: "eni", Value: "kept" }]);
  });

  it("works from the aws CLI", async () => {
    const created = await awsCli(stratus, ["ec2", "create-network-interface", "--subnet-id", instance.SubnetId!, "--description", "cli"]);
    assert.equal(created.code, 0, created.stderr);
    const id = created.json().NetworkInterface.NetworkInterfaceId;
    const listed = await awsCli(stratus, [
      "ec2",
      "describe-network-interfaces",
      "--filters",
      `Name=subnet-id,Values=${instance.SubnetId}`,
      "Name=status,Values=available",
      "--query",
      "NetworkInterfaces[].NetworkInterfaceId",
      "--output",
      "text",
    ]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(listed.stdout.split(/\s+/).includes(id));
    const deleted = await awsCli(stratus, ["ec2", "delete-network-interface", "--network-interface-id", id]);
    assert.equal(deleted.code, 0, deleted.stderr);
  });
});
