/**
 * What every account finds in every region before it creates anything: a
 * default VPC (172.31.0.0/16) with a default /20 subnet per zone, its
 * internet gateway, main route table (local + 0.0.0.0/0 → igw), DHCP options
 * and default security group. Built lazily on the first call that needs it.
 */
import { ec2Id } from "../../../core/ids.js";
import type { AttachmentStatus, InternetGateway, RouteTable, Subnet, Vpc } from "../../../generated/ec2.js";
import type { Scope } from "../../../state/documents.js";
import { regionInfo } from "../regions/regions.js";
import { cidrText, usableAddressCount, type Cidr4 } from "./cidr.js";
import type { SecurityGroupRecord } from "./records.js";
import { defaultGroupRules, newRuleId } from "./records.js";

export const DEFAULT_VPC_CIDR = "172.31.0.0/16";

/** EC2 reports an attached internet gateway as "available", outside the model's enum. */
export const IGW_ATTACHED = "available" as unknown as AttachmentStatus;

export interface DefaultNetwork {
  vpc: Vpc;
  subnets: Subnet[];
  internetGateway: InternetGateway;
  routeTable: RouteTable;
  securityGroup: SecurityGroupRecord;
}

export function buildVpc(scope: Scope, cidr: string, isDefault: boolean, dhcpOptionsId: string): Vpc {
  const vpcId = ec2Id("vpc");
  return {
    VpcId: vpcId,
    OwnerId: scope.account,
    State: "available",
    CidrBlock: cidr,
    CidrBlockAssociationSet: [{ AssociationId: ec2Id("vpc-cidr-assoc"), CidrBlock: cidr, CidrBlockState: { State: "associated" } }],
    DhcpOptionsId: dhcpOptionsId,
    InstanceTenancy: "default",
    IsDefault: isDefault,
    BlockPublicAccessStates: { InternetGatewayBlockMode: "off" },
    Tags: [],
  };
}

export function buildSubnet(scope: Scope, vpcId: string, cidr: Cidr4, zone: { name: string; id: string }, isDefault: boolean): Subnet {
  const subnetId = ec2Id("subnet");
  return {
    SubnetId: subnetId,
    SubnetArn: `arn:aws:ec2:${scope.region}:${scope.account}:subnet/${subnetId}`,
    VpcId: vpcId,
    OwnerId: scope.account,
    State: "available",
    CidrBlock: cidrText(cidr),
    AvailabilityZone: zone.name,
    AvailabilityZoneId: zone.id,
    AvailableIpAddressCount: usableAddressCount(cidr),
    DefaultForAz: isDefault,
    MapPublicIpOnLaunch: isDefault,
    MapCustomerOwnedIpOnLaunch: false,
    AssignIpv6AddressOnCreation: false,
    Ipv6CidrBlockAssociationSet: [],
    Ipv6Native: false,
    EnableDns64: false,
    PrivateDnsNameOptionsOnLaunch: { HostnameType: "ip-name", EnableResourceNameDnsARecord: false, EnableResourceNameDnsAAAARecord: false },
    BlockPublicAccessStates: { InternetGatewayBlockMode: "off" },
    Tags: [],
  };
}

export function buildMainRouteTable(scope: Scope, vpc: Vpc, internetGatewayId?: string): RouteTable {
  const routeTableId = ec2Id("rtb");
  return {
    RouteTableId: routeTableId,
    VpcId: vpc.VpcId,
    OwnerId: scope.account,
    Associations: [
      { Main: true, RouteTableAssociationId: ec2Id("rtbassoc"), RouteTableId: routeTableId, AssociationState: { State: "associated" } },
    ],
    Routes: [
      { DestinationCidrBlock: vpc.CidrBlock, GatewayId: "local", Origin: "CreateRouteTable", State: "active" },
      ...(internetGatewayId ? [{ DestinationCidrBlock: "0.0.0.0/0", GatewayId: internetGatewayId, Origin: "CreateRoute" as const, State: "active" as const }] : []),
    ],
    PropagatingVgws: [],
    Tags: [],
  };
}

export function buildDefaultGroup(scope: Scope, vpcId: string): SecurityGroupRecord {
  const groupId = ec2Id("sg");
  return {
    GroupId: groupId,
    GroupName: "default",
    Description: "default VPC security group",
    OwnerId: scope.account,
    VpcId: vpcId,
    SecurityGroupArn: `arn:aws:ec2:${scope.region}:${scope.account}:security-group/${groupId}`,
    Tags: [],
    _rules: defaultGroupRules(groupId, scope.account).map((rule) => ({ ...rule, id: newRuleId() })),
  };
}

export function buildDefaultNetwork(scope: Scope, dhcpOptionsId: string): DefaultNetwork {
  const vpc = buildVpc(scope, DEFAULT_VPC_CIDR, true, dhcpOptionsId);
  const zones = regionInfo(scope.region).zones;
  // 172.31.0.0/20, 172.31.16.0/20, ... one per zone, in zone order.
  const base = (172 << 24) + (31 << 16);
  const subnets = zones.map((zone, i) => buildSubnet(scope, vpc.VpcId!, { base: (base + i * 4096) >>> 0, prefix: 20 }, zone, true));
  const internetGateway: InternetGateway = {
    InternetGatewayId: ec2Id("igw"),
    OwnerId: scope.account,
    Attachments: [{ State: IGW_ATTACHED, VpcId: vpc.VpcId }],
    Tags: [],
  };
  const routeTable = buildMainRouteTable(scope, vpc, internetGateway.InternetGatewayId);
  const securityGroup = buildDefaultGroup(scope, vpc.VpcId!);
  return { vpc, subnets, internetGateway, routeTable, securityGroup };
}
