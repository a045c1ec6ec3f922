/**
 * EC2 state survives a restart (storage: disk): the default network keeps its
 * ids, instances keep their state and their scheduled transitions run after
 * the restart, key pairs, groups and spot requests stay, and so do launch
 * templates, network interfaces, route tables, network ACLs and VPC attributes.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import {
  AssociateRouteTableCommand,
  CreateKeyPairCommand,
  CreateLaunchTemplateCommand,
  CreateNetworkInterfaceCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeVpcAttributeCommand,
  ModifyVpcAttributeCommand,
  CreateSecurityGroupCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSpotInstanceRequestsCommand,
  DescribeVpcsCommand,
  EC2Client,
  RequestSpotInstancesCommand,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { startStratus, type RunningStratus } from "../../src/index.js";
import { sdkConfig } from "../support/stratus.js";

describe("EC2 across a restart", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stratus-ec2-restart-"));
  const start = () => startStratus({ port: 0, storage: "disk", dataDir: dir, clock: "virtual", logLevel: "silent" });
  let stratus: RunningStratus | undefined;
  after(async () => {
    await stratus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps networks, instances and their pending transitions, keys, groups and spot requests", async () => {
    stratus = await start();
    let ec2 = new EC2Client(sdkConfig(stratus));
    const vpcId = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs![0].VpcId;
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: ["al2023-ami-2023*x86_64"] }] }));
    const run = await ec2.send(new RunInstancesCommand({ ImageId: Images![0].ImageId, InstanceType: "t3.micro", MinCount: 2, MaxCount: 2 }));
    const ids = run.Instances!.map((i) => i.InstanceId!);
    const key = await ec2.send(new CreateKeyPairCommand({ KeyName: "kept" }));
    const group = await ec2.send(new CreateSecurityGroupCommand({ GroupName: "kept", Description: "kept" }));
    const spot = await ec2.send(new RequestSpotInstancesCommand({ SpotPrice: "0.0001", LaunchSpecification: { ImageId: Images![0].ImageId, InstanceType: "t3.micro" } }));
    await stratus.stop();

    stratus = await start();
    ec2 = new EC2Client(sdkConfig(stratus));
    assert.equal((await ec2.send(new DescribeVpcsCommand({}))).Vpcs![0].VpcId, vpcId);
    const pending = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    assert.deepEqual(pending.Reservations![0].Instances!.map((i) => i.State!.Name), ["pending", "pending"]);
    await stratus.clock.advance("30s");
    const running = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    assert.deepEqual(running.Reservations![0].Instances!.map((i) => i.State!.Name), ["running", "running"]);
    assert.equal((await ec2.send(new DescribeKeyPairsCommand({ KeyNames: ["kept"] }))).KeyPairs![0].KeyFingerprint, key.KeyFingerprint);
    assert.equal((await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [group.GroupId!] }))).SecurityGroups![0].GroupName, "kept");
    const request = await ec2.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [spot.SpotInstanceRequests![0].SpotInstanceRequestId!] }));
    assert.deepEqual([request.SpotInstanceRequests![0].State, request.SpotInstanceRequests![0].Status!.Code], ["open", "price-too-low"]);
  });

  it("keeps launch templates, network interfaces, route tables, network ACLs and VPC attributes", async () => {
    let ec2 = new EC2Client(sdkConfig(stratus!));
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: ["al2023-ami-2023*x86_64"] }] }));
    const template = (await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: "kept", LaunchTemplateData: { ImageId: Images![0].ImageId, InstanceType: "t3.micro" } }))).LaunchTemplate!;
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.9.0.0/16" }))).Vpc!.VpcId!;
    const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: "10.9.0.0/24" }))).Subnet!.SubnetId!;
    const eni = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }))).NetworkInterface!;
    const rtb = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
    const association = (await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtb, SubnetId: subnetId }))).AssociationId;
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
    const acl = (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }))).NetworkAcls![0];
    await stratus!.stop();

    stratus = await start();
    ec2 = new EC2Client(sdkConfig(stratus));
    const run = await ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateName: "kept" } }));
    assert.equal(run.Instances![0].Tags!.find((t) => t.Key === "aws:ec2launchtemplate:id")!.Value, template.LaunchTemplateId);
    const found = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni.NetworkInterfaceId!] }));
    assert.equal(found.NetworkInterfaces![0].PrivateIpAddress, eni.PrivateIpAddress);
    const table = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }))).RouteTables![0];
    assert.equal(table.Associations![0].RouteTableAssociationId, association);
    const dns = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: "enableDnsHostnames" }));
    assert.equal(dns.EnableDnsHostnames!.Value, true);
    const acls = (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }))).NetworkAcls!;
    assert.deepEqual(acls.map((a) => [a.NetworkAclId, a.Associations![0].NetworkAclAssociationId]), [[acl.NetworkAclId, acl.Associations![0].NetworkAclAssociationId]]);
  });
});
