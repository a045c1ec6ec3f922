/**
 * Route tables and VPC attributes: a VPC's main table, tables of one's own
 * with routes to an internet gateway and an instance, associations, the
 * blackhole state, DNS attributes, CreateDefaultVpc, and the aws CLI
 * walking the usual "public subnet" tutorial.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateDefaultVpcCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteRouteCommand,
  DeleteRouteTableCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeImagesCommand,
  DescribeRouteTablesCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  ModifyVpcAttributeCommand,
  ReplaceRouteCommand,
  ReplaceRouteTableAssociationCommand,
  RunInstancesCommand,
  DeleteInternetGatewayCommand,
  CreateNetworkAclCommand,
  CreateNetworkAclEntryCommand,
  DeleteNetworkAclCommand,
  DeleteNetworkAclEntryCommand,
  DescribeNetworkAclsCommand,
  DescribeDhcpOptionsCommand,
  ReplaceNetworkAclAssociationCommand,
  ReplaceNetworkAclEntryCommand,
  DescribeInternetGatewaysCommand,
  DescribeSubnetsCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { sdkConfig } from "../support/stratus.js";
import type { RunningStratus } from "../../src/index.js";
import { JAMMY_FILTER, exerciseBash, rejectsWith, startEc2 } from "./support.js";

describe("EC2 route tables and VPC attributes", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let vpcId: string;
  let subnetId: string;

  before(async () => {
    ({ stratus, ec2 } = await startEc2());
    vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.20.0.0/16" }))).Vpc!.VpcId!;
    subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: "10.20.1.0/24", AvailabilityZone: "us-east-1a" }))).Subnet!.SubnetId!;
  });
  after(() => stratus.stop());

  const table = async (id: string) => (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [id] }))).RouteTables![0];

  it("routes a subnet of one's own VPC to an internet gateway through a table of its own", async () => {
    const main = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }, { Name: "association.main", Values: ["true"] }] }))).RouteTables!;
    assert.equal(main.length, 1);
    assert.deepEqual(main[0].Routes, [{ DestinationCidrBlock: "10.20.0.0/16", GatewayId: "local", Origin: "CreateRouteTable", State: "active" }]);

    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: [{ ResourceType: "route-table", Tags: [{ Key: "Name", Value: "public" }] }] }));
    const rtb = RouteTable!.RouteTableId!;
    assert.match(rtb, /^rtb-[0-9a-f]{17}$/);
    assert.deepEqual(RouteTable!.Associations, []);
    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await rejectsWith(ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: "0.0.0.0/0", GatewayId: igw })), "InvalidParameterValue", /different networks/);
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: "0.0.0.0/0", GatewayId: igw }));
    await rejectsWith(ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: "0.0.0.0/0", GatewayId: igw })), "RouteAlreadyExists");
    await rejectsWith(ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: "10.0.0.0/8", NatGatewayId: "nat-0123456789abcdef0" })), "InvalidNatGatewayID.NotFound");
    await rejectsWith(ec2.send(new CreateRouteCommand({ RouteTableId: "rtb-0123456789abcdef0", DestinationCidrBlock: "0.0.0.0/0", GatewayId: igw })), "InvalidRouteTableID.NotFound");
    const withRoute = await table(rtb);
    assert.deepEqual(withRoute.Routes![1], { DestinationCidrBlock: "0.0.0.0/0", GatewayId: igw, Origin: "CreateRoute", State: "active" });

    const { AssociationId } = await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtb, SubnetId: subnetId }));
    assert.match(AssociationId!, /^rtbassoc-[0-9a-f]{17}$/);
    await rejectsWith(ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtb, SubnetId: subnetId })), "Resource.AlreadyAssociated");
    const bySubnet = await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: "association.subnet-id", Values: [subnetId] }] }));
    assert.deepEqual(bySubnet.RouteTables!.map((t) => t.RouteTableId), [rtb]);
    const byGateway = await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: "route.gateway-id", Values: [igw] }, { Name: "tag:Name", Values: ["public"] }] }));
    assert.deepEqual(byGateway.RouteTables!.map((t) => t.RouteTableId), [rtb]);
    await rejectsWith(ec2.send(new DeleteRouteTableCommand({ RouteTableId: rtb })), "DependencyViolation");
    await rejectsWith(ec2.send(new DeleteVpcCommand({ VpcId: vpcId })), "DependencyViolation");

    // A detached gateway leaves its routes as blackholes.
    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    assert.equal((await table(rtb)).Routes![1].State, "blackhole");
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));

    // Replace the default route with one to an instance; delete it; the local route stays.
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["099720109477"], Filters: [{ Name: "name", Values: [JAMMY_FILTER] }] }));
    const run = await ec2.send(new RunInstancesCommand({ ImageId: Images![0].ImageId, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, SubnetId: subnetId }));
    const instance = run.Instances![0];
    await stratus.clock.advance("5s");
    await ec2.send(new ReplaceRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: "0.0.0.0/0", InstanceId: instance.InstanceId }));
    const replaced = (await table(rtb)).Routes![1];
    assert.equal(replaced.InstanceId, instance.InstanceId);
    assert.equal(replaced.NetworkInterfaceId, instance.NetworkInterfaces![0].NetworkInterfaceId);
    assert.equal(replaced.State, "active");
    await rejectsWith(ec2.send(new ReplaceRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: "192.168.0.0/16", GatewayId: igw })), "InvalidParameterValue");
    await ec2.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: "0.0.0.0/0" }));
    await rejectsWith(ec2.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: "0.0.0.0/0" })), "InvalidRoute.NotFound");
    await rejectsWith(ec2.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: "10.20.0.0/16" })), "InvalidParameterValue", /local route/);

    // The main association moves to the new table and back; a subnet association goes.
    const mainAssoc = main[0].Associations![0].RouteTableAssociationId!;
    await rejectsWith(ec2.send(new DisassociateRouteTableCommand({ AssociationId: mainAssoc })), "InvalidParameterValue", /main route table/);
    const { NewAssociationId } = await ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId: mainAssoc, RouteTableId: rtb }));
    assert.equal((await table(rtb)).Associations!.find((a) => a.RouteTableAssociationId === NewAssociationId)!.Main, true);
    await ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId: NewAssociationId, RouteTableId: main[0].RouteTableId }));
    await ec2.send(new DisassociateRouteTableCommand({ AssociationId }));
    await rejectsWith(ec2.send(new DisassociateRouteTableCommand({ AssociationId })), "InvalidAssociationID.NotFound");
    await ec2.send(new DeleteRouteTableCommand({ RouteTableId: rtb }));
    await rejectsWith(ec2.send(new DeleteRouteTableCommand({ RouteTableId: main[0].RouteTableId })), "DependencyViolation");
  });

  it("keeps DNS attributes per VPC, and recreates a deleted default VPC", async () => {
    const dflt = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }))).Vpcs![0].VpcId!;
    const attr = async (id: string, name: "enableDnsSupport" | "enableDnsHostnames") => {
      const out = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: id, Attribute: name }));
      return (name === "enableDnsSupport" ? out.EnableDnsSupport : out.EnableDnsHostnames)!.Value;
    };
    assert.equal(await attr(dflt, "enableDnsHostnames"), true);
    assert.equal(await attr(vpcId, "enableDnsSupport"), true);
    assert.equal(await attr(vpcId, "enableDnsHostnames"), false);
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
    assert.equal(await attr(vpcId, "enableDnsHostnames"), true);
    await rejectsWith(
      ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true }, EnableDnsSupport: { Value: true } })),
      "InvalidParameterCombination",
    );
    await rejectsWith(ec2.send(new DescribeVpcAttributeCommand({ VpcId: "vpc-0123456789abcdef0", Attribute: "enableDnsSupport" })), "InvalidVpcID.NotFound");

    await rejectsWith(ec2.send(new CreateDefaultVpcCommand({})), "DefaultVpcAlreadyExists");
    const vpc = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs![0];
    const { DhcpOptions } = await ec2.send(new DescribeDhcpOptionsCommand({ DhcpOptionsIds: [vpc.DhcpOptionsId!] }));
    assert.deepEqual(
      DhcpOptions![0].DhcpConfigurations!.map((c) => [c.Key, c.Values!.map((v) => v.Value)]),
      [
        ["domain-name", ["ec2.internal"]],
        ["domain-name-servers", ["AmazonProvidedDNS"]],
      ],
    );
    await rejectsWith(ec2.send(new DescribeDhcpOptionsCommand({ DhcpOptionsIds: ["dopt-0123456789abcdef0"] })), "InvalidDhcpOptionID.NotFound");
    const other = new EC2Client(sdkConfig(stratus, "eu-west-1"));
    const old = (await other.send(new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }))).Vpcs![0].VpcId!;
    assert.equal((await other.send(new DescribeRouteTablesCommand({}))).RouteTables!.length, 1);
    // Take the default VPC apart, then ask for a new one.
    for (const s of (await other.send(new DescribeSubnetsCommand({}))).Subnets!) await other.send(new DeleteSubnetCommand({ SubnetId: s.SubnetId }));
    for (const g of (await other.send(new DescribeInternetGatewaysCommand({}))).InternetGateways!) {
      await other.send(new DetachInternetGatewayCommand({ InternetGatewayId: g.InternetGatewayId, VpcId: old }));
      await other.send(new DeleteInternetGatewayCommand({ InternetGatewayId: g.InternetGatewayId }));
    }
    await other.send(new DeleteVpcCommand({ VpcId: old }));
    const { Vpc } = await other.send(new CreateDefaultVpcCommand({}));
    assert.equal(Vpc!.IsDefault, true);
    assert.equal(Vpc!.CidrBlock, "172.31.0.0/16");
    assert.equal((await other.send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [Vpc!.VpcId!] }] }))).Subnets!.length, 3);
  });

  it("gives each VPC a default network ACL, and keeps ACLs of one's own with entries and associations", async () => {
    const { NetworkAcls } = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }, { Name: "default", Values: ["true"] }] }));
    assert.equal(NetworkAcls!.length, 1);
    const dflt = NetworkAcls![0];
    assert.match(dflt.NetworkAclId!, /^acl-[0-9a-f]{17}$/);
    assert.deepEqual(
      dflt.Entries!.map((e) => [e.Egress, e.RuleNumber, e.RuleAction]),
      [
        [true, 100, "allow"],
        [true, 32767, "deny"],
        [false, 100, "allow"],
        [false, 32767, "deny"],
      ],
    );
    const association = dflt.Associations!.find((a) => a.SubnetId === subnetId)!;
    assert.match(association.NetworkAclAssociationId!, /^aclassoc-/);

    const { NetworkAcl } = await ec2.send(new CreateNetworkAclCommand({ VpcId: vpcId, TagSpecifications: [{ ResourceType: "network-acl", Tags: [{ Key: "Name", Value: "private" }] }] }));
    const acl = NetworkAcl!.NetworkAclId!;
    assert.equal(NetworkAcl!.IsDefault, false);
    assert.equal(NetworkAcl!.Entries!.length, 2);
    await ec2.send(new CreateNetworkAclEntryCommand({ NetworkAclId: acl, RuleNumber: 100, Protocol: "tcp", RuleAction: "allow", Egress: false, CidrBlock: "10.0.0.0/8", PortRange: { From: 22, To: 22 } }));
    await rejectsWith(
      ec2.send(new CreateNetworkAclEntryCommand({ NetworkAclId: acl, RuleNumber: 100, Protocol: "-1", RuleAction: "deny", Egress: false, CidrBlock: "0.0.0.0/0" })),
      "NetworkAclEntryAlreadyExists",
    );
    await ec2.send(new ReplaceNetworkAclEntryCommand({ NetworkAclId: acl, RuleNumber: 100, Protocol: "6", RuleAction: "allow", Egress: false, CidrBlock: "10.0.0.0/8", PortRange: { From: 443, To: 443 } }));
    const byPort = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: "entry.port-range.from", Values: ["443"] }] }));
    assert.deepEqual(byPort.NetworkAcls!.map((a) => a.NetworkAclId), [acl]);
    assert.equal(byPort.NetworkAcls![0].Entries!.find((e) => e.RuleNumber === 100)!.Protocol, "6");

    const { NewAssociationId } = await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: association.NetworkAclAssociationId, NetworkAclId: acl }));
    const moved = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: "association.subnet-id", Values: [subnetId] }] }));
    assert.deepEqual(moved.NetworkAcls!.map((a) => a.NetworkAclId), [acl]);
    await rejectsWith(ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: acl })), "DependencyViolation");
    await rejectsWith(ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: dflt.NetworkAclId })), "InvalidParameterValue");
    await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: NewAssociationId, NetworkAclId: dflt.NetworkAclId }));
    await ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: acl, RuleNumber: 100, Egress: false }));
    await rejectsWith(ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: acl, RuleNumber: 100, Egress: false })), "InvalidNetworkAclEntry.NotFound");
    await ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: acl }));
    await rejectsWith(ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [acl] })), "InvalidNetworkAclID.NotFound");
  });

  it("builds a public subnet with the aws CLI, as tutorials do", async () => {
    const result = await exerciseBash(
      stratus,
      `
VPC=$(aws ec2 create-vpc --cidr-block 10.30.0.0/16 --query Vpc.VpcId --output text)
SUBNET=$(aws ec2 create-subnet --vpc-id $VPC --cidr-block 10.30.1.0/24 --query Subnet.SubnetId --output text)
IGW=$(aws ec2 create-internet-gateway --query InternetGateway.InternetGatewayId --output text)
aws ec2 attach-internet-gateway --vpc-id $VPC --internet-gateway-id $IGW
RTB=$(aws ec2 create-route-table --vpc-id $VPC --query RouteTable.RouteTableId --output text)
aws ec2 create-route --route-table-id $RTB --destination-cidr-block 0.0.0.0/0 --gateway-id $IGW --query Return --output text
aws ec2 associate-route-table --subnet-id $SUBNET --route-table-id $RTB --query AssociationState.State --output text
aws ec2 describe-route-tables --filters Name=vpc-id,Values=$VPC Name=association.subnet-id,Values=$SUBNET --query 'RouteTables[0].Routes[?DestinationCidrBlock==\`0.0.0.0/0\`].GatewayId' --output text | grep -c igw-
`,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split(/\s+/), ["True", "associated", "1"]);
  });
});
