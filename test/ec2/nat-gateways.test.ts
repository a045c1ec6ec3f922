/**
 * NAT gateways: a public one with an Elastic IP in a public subnet, routed
 * to from a private subnet's table, its lifecycle on the virtual clock
 * (including the CLI waiter), the failure without an internet gateway, and
 * deletion.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AllocateAddressCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteNatGatewayCommand,
  DeleteSubnetCommand,
  DescribeAddressesCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  ReleaseAddressCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { exerciseBash, rejectsWith, startEc2 } from "./support.js";

describe("EC2 NAT gateways", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let vpcId: string;
  let publicSubnet: string;

  before(async () => {
    ({ stratus, ec2 } = await startEc2());
    vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.40.0.0/16" }))).Vpc!.VpcId!;
    publicSubnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: "10.40.0.0/24" }))).Subnet!.SubnetId!;
  });
  after(() => stratus.stop());

  const nat = async (id: string) => (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }))).NatGateways![0];

  it("fails without an internet gateway, and releases its address", async () => {
    const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: "vpc" }));
    const { NatGateway } = await ec2.send(new CreateNatGatewayCommand({ SubnetId: publicSubnet, AllocationId }));
    assert.equal(NatGateway!.State, "pending");
    const failed = await nat(NatGateway!.NatGatewayId!);
    assert.equal(failed.State, "failed");
    assert.equal(failed.FailureCode, "Gateway.NotAttached");
    const address = (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [AllocationId!] }))).Addresses![0];
    assert.equal(address.AssociationId, undefined);
    await ec2.send(new ReleaseAddressCommand({ AllocationId }));
  });

  it("routes a private subnet through a public NAT gateway, then deletes it", async () => {
    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    const { AllocationId, PublicIp } = await ec2.send(new AllocateAddressCommand({ Domain: "vpc" }));
    const created = await ec2.send(
      new CreateNatGatewayCommand({ SubnetId: publicSubnet, AllocationId, TagSpecifications: [{ ResourceType: "natgateway", Tags: [{ Key: "Name", Value: "nat" }] }] }),
    );
    const id = created.NatGateway!.NatGatewayId!;
    assert.match(id, /^nat-[0-9a-f]{17}$/);
    const address = created.NatGateway!.NatGatewayAddresses![0];
    assert.equal(address.PublicIp, PublicIp);
    await rejectsWith(ec2.send(new CreateNatGatewayCommand({ SubnetId: publicSubnet, AllocationId })), "Resource.AlreadyAssociated");
    await rejectsWith(ec2.send(new ReleaseAddressCommand({ AllocationId })), "InvalidIPAddress.InUse");

    // Its interface is AWS's: in use, requester-managed, holding the private address.
    const { NetworkInterfaces } = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [address.NetworkInterfaceId!] }));
    assert.equal(NetworkInterfaces![0].InterfaceType, "nat_gateway");
    assert.equal(NetworkInterfaces![0].RequesterManaged, true);
    assert.equal(NetworkInterfaces![0].PrivateIpAddress, address.PrivateIp);
    assert.equal(NetworkInterfaces![0].Association!.PublicIp, PublicIp);
    await rejectsWith(ec2.send(new DeleteSubnetCommand({ SubnetId: publicSubnet })), "DependencyViolation");

    // The CLI's waiter sees it become available.
    const waited = await exerciseBash(stratus, `aws ec2 wait nat-gateway-available --nat-gateway-ids ${id}\naws ec2 describe-nat-gateways --nat-gateway-ids ${id} --query 'NatGateways[0].State' --output text`, { waitAdvance: "2m" });
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal(waited.stdout.trim(), "available");

    const privateSubnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: "10.40.1.0/24" }))).Subnet!.SubnetId!;
    const rtb = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: "0.0.0.0/0", NatGatewayId: id }));
    const routes = async () => (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }))).RouteTables![0].Routes!;
    assert.deepEqual((await routes())[1], { DestinationCidrBlock: "0.0.0.0/0", NatGatewayId: id, Origin: "CreateRoute", State: "active" });
    const byNat = await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: "route.nat-gateway-id", Values: [id] }] }));
    assert.deepEqual(byNat.RouteTables!.map((t) => t.RouteTableId), [rtb]);
    assert.ok(privateSubnet);

    const filtered = await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: "vpc-id", Values: [vpcId] }, { Name: "state", Values: ["available"] }, { Name: "tag:Name", Values: ["nat"] }] }));
    assert.deepEqual(filtered.NatGateways!.map((g) => g.NatGatewayId), [id]);

    await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: id }));
    assert.equal((await nat(id)).State, "deleting");
    await stratus.clock.advance("2m");
    assert.equal((await nat(id)).State, "deleted");
    assert.equal((await routes())[1].State, "blackhole");
    await ec2.send(new ReleaseAddressCommand({ AllocationId }));
    await rejectsWith(ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: ["nat-0123456789abcdef0"] })), "NatGatewayNotFound");
    await stratus.clock.advance("2h");
    assert.equal((await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: "vpc-id", Values: [vpcId] }] }))).NatGateways!.length, 0);
  });
});
