/**
 * Regions, zones, the default network of every account and region, VPCs and
 * subnets of one's own, and security groups with their rules.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAccountAttributesCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImagesCommand,
  DescribeInternetGatewaysCommand,
  DescribeRegionsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  EC2Client,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { CREDENTIALS, sdkConfig } from "../support/stratus.js";
import { rejectsWith, startEc2 } from "./support.js";

describe("EC2 regions, zones and networks", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;

  before(async () => {
    ({ stratus, ec2 } = await startEc2());
  });
  after(() => stratus.stop());

  it("lists the enabled regions, and opt-in ones with AllRegions", async () => {
    const { Regions } = await ec2.send(new DescribeRegionsCommand({}));
    const names = Regions!.map((r) => r.RegionName);
    assert.ok(names.includes("us-east-1") && names.includes("eu-west-1") && names.includes("ap-southeast-2"));
    assert.ok(!names.includes("af-south-1"));
    assert.equal(Regions!.find((r) => r.RegionName === "us-west-2")!.Endpoint, "ec2.us-west-2.amazonaws.com");
    const all = await ec2.send(new DescribeRegionsCommand({ AllRegions: true, Filters: [{ Name: "opt-in-status", Values: ["not-opted-in"] }] }));
    assert.ok(all.Regions!.some((r) => r.RegionName === "af-south-1"));
  });

  it("lists each region's zones with their zone ids", async () => {
    const east = await ec2.send(new DescribeAvailabilityZonesCommand({}));
    assert.deepEqual(
      east.AvailabilityZones!.map((z) => [z.ZoneName, z.ZoneId]),
      [
        ["us-east-1a", "use1-az6"],
        ["us-east-1b", "use1-az1"],
        ["us-east-1c", "use1-az2"],
        ["us-east-1d", "use1-az4"],
        ["us-east-1e", "use1-az3"],
        ["us-east-1f", "use1-az5"],
      ],
    );
    assert.equal(east.AvailabilityZones![0].State, "available");
    const west = new EC2Client(sdkConfig(stratus, "us-west-2"));
    const { AvailabilityZones } = await west.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: "zone-id", Values: ["usw2-az1", "usw2-az2"] }] }));
    assert.deepEqual(AvailabilityZones!.map((z) => z.ZoneName).sort(), ["us-west-2a", "us-west-2b"]);
    await rejectsWith(ec2.send(new DescribeAvailabilityZonesCommand({ ZoneNames: ["us-east-1z"] })), "InvalidParameterValue", /us-east-1z/);
  });

  it("gives each account and region a default VPC with a /20 subnet per zone, a gateway and routes", async () => {
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "isDefault", Values: ["true"] }] }));
    assert.equal(Vpcs!.length, 1);
    const vpc = Vpcs![0];
    assert.match(vpc.VpcId!, /^vpc-[0-9a-f]{17}$/);
    assert.equal(vpc.CidrBlock, "172.31.0.0/16");
    assert.equal(vpc.State, "available");
    const { Subnets } = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpc.VpcId!] }, { Name: "default-for-az", Values: ["true"] }] }));
    assert.deepEqual(
      Subnets!.map((s) => [s.AvailabilityZone, s.CidrBlock]).sort(),
      [
        ["us-east-1a", "172.31.0.0/20"],
        ["us-east-1b", "172.31.16.0/20"],
        ["us-east-1c", "172.31.32.0/20"],
        ["us-east-1d", "172.31.48.0/20"],
        ["us-east-1e", "172.31.64.0/20"],
        ["us-east-1f", "172.31.80.0/20"],
      ],
    );
    assert.ok(Subnets!.every((s) => s.MapPublicIpOnLaunch && s.AvailableIpAddressCount === 4091));
    const oneZone = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "availability-zone", Values: ["us-east-1d"] }] }));
    assert.equal(oneZone.Subnets!.length, 1);

    const { InternetGateways } = await ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: "attachment.vpc-id", Values: [vpc.VpcId!] }] }));
    assert.equal(InternetGateways!.length, 1);
    const { RouteTables } = await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: "vpc-id", Values: [vpc.VpcId!] }, { Name: "association.main", Values: ["true"] }] }));
    assert.deepEqual(
      RouteTables![0].Routes!.map((r) => [r.DestinationCidrBlock, r.GatewayId]),
      [
        ["172.31.0.0/16", "local"],
        ["0.0.0.0/0", InternetGateways![0].InternetGatewayId],
      ],
    );
    const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "group-name", Values: ["default"] }] }));
    assert.equal(SecurityGroups![0].Description, "default VPC security group");
    assert.deepEqual(SecurityGroups![0].IpPermissions![0].UserIdGroupPairs![0].GroupId, SecurityGroups![0].GroupId);
    assert.equal(SecurityGroups![0].IpPermissionsEgress![0].IpRanges![0].CidrIp, "0.0.0.0/0");
    const attributes = await ec2.send(new DescribeAccountAttributesCommand({ AttributeNames: ["default-vpc"] }));
    assert.equal(attributes.AccountAttributes![0].AttributeValues![0].AttributeValue, vpc.VpcId);
  });

  it("keeps default networks apart per region and per account", async () => {
    const { Vpcs: east } = await ec2.send(new DescribeVpcsCommand({}));
    const west = await new EC2Client(sdkConfig(stratus, "eu-west-1")).send(new DescribeVpcsCommand({}));
    const other = await new EC2Client({ ...sdkConfig(stratus), credentials: { ...CREDENTIALS, accessKeyId: "111122223333" } }).send(new DescribeVpcsCommand({}));
    assert.notEqual(west.Vpcs![0].VpcId, east![0].VpcId);
    assert.notEqual(other.Vpcs![0].VpcId, east![0].VpcId);
    assert.equal(other.Vpcs![0].OwnerId, "111122223333");
    const westSubnets = await new EC2Client(sdkConfig(stratus, "eu-west-1")).send(new DescribeSubnetsCommand({}));
    assert.deepEqual(westSubnets.Subnets!.map((s) => s.AvailabilityZone).sort(), ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
  });

  it("creates a VPC with subnets and a gateway, refusing overlaps and deletions with dependencies", async () => {
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16", TagSpecifications: [{ ResourceType: "vpc", Tags: [{ Key: "Name", Value: "ml" }] }] }));
    const vpcId = Vpc!.VpcId!;
    await rejectsWith(ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/8" })), "InvalidVpc.Range");
    const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: "10.0.1.0/24", AvailabilityZone: "us-east-1a" }));
    assert.equal(Subnet!.AvailableIpAddressCount, 251);
    assert.equal(Subnet!.MapPublicIpOnLaunch, false);
    await rejectsWith(ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: "10.0.1.128/25" })), "InvalidSubnet.Conflict");
    await rejectsWith(ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: "192.168.0.0/24" })), "InvalidSubnet.Range");
    await rejectsWith(ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: "10.0.2.0/24", AvailabilityZone: "us-east-1q" })), "InvalidParameterValue", /Subnets can currently only be created/);
    const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: InternetGateway!.InternetGatewayId, VpcId: vpcId }));
    await rejectsWith(ec2.send(new DeleteVpcCommand({ VpcId: vpcId })), "DependencyViolation");

    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "architecture", Values: ["x86_64"] }, { Name: "name", Values: ["al2023-ami-2023*"] }] }));
    const run = await ec2.send(new RunInstancesCommand({ ImageId: Images![0].ImageId, MinCount: 1, MaxCount: 1, SubnetId: Subnet!.SubnetId }));
    const instance = run.Instances![0];
    assert.match(instance.PrivateIpAddress!, /^10\.0\.1\.\d+$/);
    assert.equal(instance.PublicIpAddress, undefined, "no public address in a subnet that doesn't map one");
    assert.equal(instance.SecurityGroups![0].GroupName, "default");
    await rejectsWith(ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet!.SubnetId })), "DependencyViolation");
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instance.InstanceId!] }));
    await stratus.clock.advance("30s");
    await ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet!.SubnetId }));
    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: InternetGateway!.InternetGatewayId, VpcId: vpcId }));
    await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
    await rejectsWith(ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })), "InvalidVpcID.NotFound", new RegExp(`The vpc ID '${vpcId}' does not exist`));
    await rejectsWith(ec2.send(new DescribeVpcsCommand({ VpcIds: ["vpc-xyz"] })), "InvalidVpcID.Malformed");
  });
});

describe("EC2 security groups", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let groupId: string;

  before(async () => {
    ({ stratus, ec2 } = await startEc2());
    groupId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "web", Description: "web tier" }))).GroupId!;
  });
  after(() => stratus.stop());

  const group = async (id = groupId) => (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }))).SecurityGroups![0];

  it("creates groups with EC2's naming rules", async () => {
    assert.match(groupId, /^sg-[0-9a-f]{17}$/);
    await rejectsWith(ec2.send(new CreateSecurityGroupCommand({ GroupName: "web", Description: "again" })), "InvalidGroup.Duplicate", /The security group 'web' already exists for VPC 'vpc-/);
    await rejectsWith(ec2.send(new CreateSecurityGroupCommand({ GroupName: "default", Description: "x" })), "InvalidGroup.Reserved");
    await rejectsWith(ec2.send(new CreateSecurityGroupCommand({ GroupName: "sg-foo", Description: "x" })), "InvalidParameterValue", /sg-\*/);
    await rejectsWith(ec2.send(new CreateSecurityGroupCommand({ GroupName: "x", Description: "x", VpcId: "vpc-0123456789abcdef0" })), "InvalidVpcID.NotFound");
    const fresh = await group();
    assert.deepEqual(fresh.IpPermissions, []);
    assert.equal(fresh.IpPermissionsEgress![0].IpProtocol, "-1");
  });

  it("authorizes ingress by protocol, port range, v4/v6 CIDR, group and prefix list, each rule with an id", async () => {
    const other = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "app", Description: "app tier" }))).GroupId!;
    const result = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "203.0.113.5/32", Description: "office" }] },
          { IpProtocol: "tcp", FromPort: 8000, ToPort: 8100, IpRanges: [{ CidrIp: "10.0.0.0/8" }], Ipv6Ranges: [{ CidrIpv6: "2001:db8::/32" }] },
          { IpProtocol: "udp", FromPort: 53, ToPort: 53, UserIdGroupPairs: [{ GroupId: other }] },
          { IpProtocol: "icmp", FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
          { IpProtocol: "6", FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: "pl-63a5400a" }] },
        ],
      }),
    );
    assert.equal(result.Return, true);
    assert.equal(result.SecurityGroupRules!.length, 6);
    assert.ok(result.SecurityGroupRules!.every((r) => /^sgr-[0-9a-f]{17}$/.test(r.SecurityGroupRuleId!) && r.IsEgress === false));
    const described = await group();
    const tcp8000 = described.IpPermissions!.find((p) => p.FromPort === 8000)!;
    assert.deepEqual([tcp8000.ToPort, tcp8000.IpRanges![0].CidrIp, tcp8000.Ipv6Ranges![0].CidrIpv6], [8100, "10.0.0.0/8", "2001:db8::/32"]);
    assert.equal(described.IpPermissions!.find((p) => p.FromPort === 22)!.IpRanges![0].Description, "office");
    assert.equal(described.IpPermissions!.find((p) => p.IpProtocol === "udp")!.UserIdGroupPairs![0].GroupId, other);
    assert.equal(described.IpPermissions!.find((p) => p.FromPort === 443)!.IpProtocol, "tcp");

    await rejectsWith(
      ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIp: "203.0.113.5/32" })),
      "InvalidPermission.Duplicate",
      /the specified rule "peer: 203\.0\.113\.5\/32, TCP, from port: 22, to port: 22, ALLOW" already exists/,
    );
    await rejectsWith(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpProtocol: "tcp", FromPort: 90, ToPort: 80, CidrIp: "1.1.1.1/32" })), "InvalidParameterValue");
    await rejectsWith(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpProtocol: "tcp", CidrIp: "1.1.1.1/32" })), "InvalidParameterValue");
    await rejectsWith(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpProtocol: "bogus", CidrIp: "1.1.1.1/32" })), "InvalidParameterValue");
    await rejectsWith(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpProtocol: "tcp", FromPort: 1, ToPort: 1, CidrIp: "1.1.1/32" })), "InvalidParameterValue");
    await rejectsWith(
      ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: "-1", UserIdGroupPairs: [{ GroupId: "sg-0123456789abcdef0" }] }] })),
      "InvalidGroup.NotFound",
    );
  });

  it("filters groups by their rules", async () => {
    const ids = async (Filters: Array<{ Name: string; Values: string[] }>) => (await ec2.send(new DescribeSecurityGroupsCommand({ Filters }))).SecurityGroups!.map((g) => g.GroupName).sort();
    assert.deepEqual(await ids([{ Name: "ip-permission.from-port", Values: ["22"] }]), ["web"]);
    assert.deepEqual(await ids([{ Name: "ip-permission.cidr", Values: ["10.0.0.0/8"] }]), ["web"]);
    assert.deepEqual(await ids([{ Name: "ip-permission.group-name", Values: ["app"] }]), ["web"]);
    assert.deepEqual(await ids([{ Name: "egress.ip-permission.cidr", Values: ["0.0.0.0/0"] }]), ["app", "default", "web"]);
    assert.deepEqual(await ids([{ Name: "description", Values: ["* tier"] }]), ["app", "web"]);
  });

  it("revokes by permission or by rule id, answering InvalidPermission.NotFound for unknown rules", async () => {
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIp: "203.0.113.5/32" }));
    await rejectsWith(
      ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIp: "203.0.113.5/32" })),
      "InvalidPermission.NotFound",
      /The specified rule does not exist in this security group/,
    );
    const { SecurityGroupRules } = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [groupId] }] }));
    const icmp = SecurityGroupRules!.find((r) => r.IpProtocol === "icmp")!;
    assert.deepEqual([icmp.FromPort, icmp.ToPort, icmp.CidrIpv4], [8, -1, "0.0.0.0/0"]);
    const revoked = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: [icmp.SecurityGroupRuleId!] }));
    assert.equal(revoked.RevokedSecurityGroupRules![0].SecurityGroupRuleId, icmp.SecurityGroupRuleId);
    assert.ok(!(await group()).IpPermissions!.some((p) => p.IpProtocol === "icmp"));
    await rejectsWith(ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [icmp.SecurityGroupRuleId!] })), "InvalidSecurityGroupRuleId.NotFound");

    await ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: "10.1.0.0/16" }] }] }));
    await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
    assert.deepEqual((await group()).IpPermissionsEgress!.map((p) => p.FromPort), [5432]);
  });

  it("refuses to delete a group in use, referenced, or the default one", async () => {
    const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ["app", "default"] }));
    const app = SecurityGroups!.find((g) => g.GroupName === "app")!.GroupId!;
    const def = SecurityGroups!.find((g) => g.GroupName === "default")!.GroupId!;
    await rejectsWith(ec2.send(new DeleteSecurityGroupCommand({ GroupId: app })), "DependencyViolation", new RegExp(`resource ${app} has a dependent object`));
    await rejectsWith(ec2.send(new DeleteSecurityGroupCommand({ GroupId: def })), "CannotDelete");
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: ["al2023-ami-2023*x86_64"] }] }));
    const run = await ec2.send(new RunInstancesCommand({ ImageId: Images![0].ImageId, MinCount: 1, MaxCount: 1, SecurityGroupIds: [groupId] }));
    await rejectsWith(ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId })), "DependencyViolation");
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [run.Instances![0].InstanceId!] }));
    await stratus.clock.advance("30s");
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
    await ec2.send(new DeleteSecurityGroupCommand({ GroupName: "app" }));
    await rejectsWith(ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ["app"] })), "InvalidGroup.NotFound", /does not exist in default VPC/);
    await rejectsWith(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ["sg-123"] })), "InvalidGroupId.Malformed");
  });
});
