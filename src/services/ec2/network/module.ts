/**
 * VPCs, subnets, internet gateways and route tables: the default network of
 * every account and region (built lazily), Describe* with AWS's filters, and
 * the few create/delete operations a script needs for its own VPC.
 */
import type { Cloud } from "../../../cloud.js";
import { ec2Id } from "../../../core/ids.js";
import type {
  AccountAttribute,
  AttachInternetGatewayRequest,
  CreateInternetGatewayRequest,
  CreateInternetGatewayResult,
  CreateSubnetRequest,
  CreateSubnetResult,
  CreateVpcRequest,
  CreateVpcResult,
  DeleteInternetGatewayRequest,
  DeleteSubnetRequest,
  DeleteVpcRequest,
  CreateDefaultVpcRequest,
  DescribeDhcpOptionsRequest,
  DescribeDhcpOptionsResult,
  DhcpOptions,
  CreateDefaultVpcResult,
  DescribeVpcAttributeRequest,
  DescribeVpcAttributeResult,
  ModifyVpcAttributeRequest,
  DescribeAccountAttributesRequest,
  DescribeAccountAttributesResult,
  DescribeInternetGatewaysRequest,
  DescribeInternetGatewaysResult,
  DescribeSubnetsRequest,
  DescribeSubnetsResult,
  DescribeVpcsRequest,
  DescribeVpcsResult,
  DetachInternetGatewayRequest,
  InternetGateway,
  ModifySubnetAttributeRequest,
  RouteTable,
  Subnet,
  Vpc,
} from "../../../generated/ec2.js";
import type { Scope, ScopedCollection } from "../../../state/documents.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters, tagsOf } from "../filters.js";
import { KINDS, requireId, requireIds } from "../lookup.js";
import { paginate } from "../pagination.js";
import { findZone, findZoneById, regionInfo } from "../regions/regions.js";
import type { Ec2State, InstanceRecord } from "../state.js";
import { omitEmptyTags, tagsFor } from "../tags.js";
import { cidrContains, cidrText, cidrOverlaps, ipInCidr, ipToInt, parseCidr4, usableAddressCount } from "./cidr.js";
import { IGW_ATTACHED, buildDefaultGroup, buildDefaultNetwork, buildMainRouteTable, buildSubnet, buildVpc } from "./defaults.js";
import type { SecurityGroupRecord } from "./records.js";

interface NetworkMeta {
  defaultVpcId?: string;
  dhcpOptionsId: string;
}

const MAX_VPCS = 5;

interface VpcAttributes {
  enableDnsSupport: boolean;
  enableDnsHostnames: boolean;
  enableNetworkAddressUsageMetrics: boolean;
}

export class NetworkModule {
  /** Scopes whose defaults exist (the marker document is the durable truth). */
  private readonly ready = new Set<string>();

  constructor(
    readonly cloud: Cloud,
    private readonly state: Ec2State,
  ) {
    const kinds = [
      { prefix: "vpc", resourceType: "vpc", collection: (s: Scope) => this.vpcs(s), notFound: { code: KINDS.vpc.notFoundCode, noun: KINDS.vpc.noun } },
      { prefix: "subnet", resourceType: "subnet", collection: (s: Scope) => this.subnets(s), notFound: { code: KINDS.subnet.notFoundCode, noun: KINDS.subnet.noun } },
      { prefix: "igw", resourceType: "internet-gateway", collection: (s: Scope) => this.internetGateways(s), notFound: { code: KINDS.igw.notFoundCode, noun: KINDS.igw.noun } },
      { prefix: "rtb", resourceType: "route-table", collection: (s: Scope) => this.routeTables(s), notFound: { code: KINDS.rtb.notFoundCode, noun: KINDS.rtb.noun } },
      { prefix: "sg", resourceType: "security-group", collection: (s: Scope) => this.groups(s), notFound: { code: KINDS.sg.notFoundCode, noun: KINDS.sg.noun } },
    ] as const;
    for (const kind of kinds) state.registerTaggable({ ...kind, collection: kind.collection as never });
  }

  onReset(): void {
    this.ready.clear();
  }

  vpcs(scope: Scope): ScopedCollection<Vpc> {
    this.ensureDefaults(scope);
    return this.state.collection<Vpc>("vpcs", scope);
  }

  subnets(scope: Scope): ScopedCollection<Subnet> {
    this.ensureDefaults(scope);
    return this.state.collection<Subnet>("subnets", scope);
  }

  internetGateways(scope: Scope): ScopedCollection<InternetGateway> {
    this.ensureDefaults(scope);
    return this.state.collection<InternetGateway>("internet-gateways", scope);
  }

  routeTables(scope: Scope): ScopedCollection<RouteTable> {
    this.ensureDefaults(scope);
    return this.state.collection<RouteTable>("route-tables", scope);
  }

  groups(scope: Scope): ScopedCollection<SecurityGroupRecord> {
    this.ensureDefaults(scope);
    return this.state.collection<SecurityGroupRecord>("security-groups", scope);
  }

  /** The default VPC's id (it always exists; Stratus has no DeleteVpc for it). */
  defaultVpcId(scope: Scope): string {
    this.ensureDefaults(scope);
    return this.meta(scope).get("network")!.defaultVpcId!;
  }

  /** The default subnet of a zone (or of the region's first zone). */
  defaultSubnet(scope: Scope, zoneName?: string): Subnet | undefined {
    const vpcId = this.defaultVpcId(scope);
    const subnets = this.subnets(scope)
      .values()
      .filter((s) => s.VpcId === vpcId && s.DefaultForAz);
    if (zoneName) return subnets.find((s) => s.AvailabilityZone === zoneName);
    const order = regionInfo(scope.region).zones.map((z) => z.name);
    return subnets.sort((a, b) => order.indexOf(a.AvailabilityZone!) - order.indexOf(b.AvailabilityZone!))[0];
  }

  /** The default security group of a VPC. */
  defaultGroup(scope: Scope, vpcId: string): SecurityGroupRecord | undefined {
    return this.groups(scope)
      .values()
      .find((g) => g.VpcId === vpcId && g.GroupName === "default");
  }

  private meta(scope: Scope): ScopedCollection<NetworkMeta> {
    return this.state.collection<NetworkMeta>("network-meta", scope);
  }

  private ensureDefaults(scope: Scope): void {
    const key = `${scope.account}\u0000${scope.region}`;
    if (this.ready.has(key)) return;
    const meta = this.meta(scope);
    if (!meta.get("network")) {
      const dhcpOptionsId = ec2Id("dopt");
      const network = buildDefaultNetwork(scope, dhcpOptionsId);
      this.cloud.documents.transaction(() => {
        this.state.collection<Vpc>("vpcs", scope).put(network.vpc.VpcId!, network.vpc);
        for (const subnet of network.subnets) this.state.collection<Subnet>("subnets", scope).put(subnet.SubnetId!, subnet);
        this.state.collection<InternetGateway>("internet-gateways", scope).put(network.internetGateway.InternetGatewayId!, network.internetGateway);
        this.state.collection<RouteTable>("route-tables", scope).put(network.routeTable.RouteTableId!, network.routeTable);
        this.state.collection<SecurityGroupRecord>("security-groups", scope).put(network.securityGroup.GroupId!, network.securityGroup);
        meta.put("network", { defaultVpcId: network.vpc.VpcId, dhcpOptionsId });
      });
    }
    this.ready.add(key);
  }

  /** Instances holding an address in each subnet (not terminated). */
  private addressesInUse(scope: Scope): Map<string, number> {
    const counts = new Map<string, number>();
    for (const instance of this.state.instances(scope).values()) {
      if (!instance.SubnetId || instance.State?.Name === "terminated") continue;
      counts.set(instance.SubnetId, (counts.get(instance.SubnetId) ?? 0) + 1);
    }
    for (const eni of this.state.collection<{ SubnetId?: string }>("network-interfaces", scope).values()) {
      if (eni.SubnetId) counts.set(eni.SubnetId, (counts.get(eni.SubnetId) ?? 0) + 1);
    }
    return counts;
  }

  private liveInstances(scope: Scope, match: (instance: InstanceRecord) => boolean): InstanceRecord[] {
    return this.state
      .instances(scope)
      .values()
      .filter((i) => i.State?.Name !== "terminated" && match(i));
  }

  // ---- VPCs ----

  DescribeVpcs(input: DescribeVpcsRequest, ctx: CallContext): DescribeVpcsResult {
    const scope = scopeOf(ctx);
    const all = input.VpcIds?.length ? requireIds(this.vpcs(scope), input.VpcIds, KINDS.vpc) : this.vpcs(scope).values();
    const predicate = compileFilters<Vpc>(input.Filters, {
      fields: {
        cidr: (v) => v.CidrBlock,
        "cidr-block": (v) => v.CidrBlock,
        "cidr-block-association.cidr-block": (v) => v.CidrBlockAssociationSet?.map((a) => a.CidrBlock),
        "cidr-block-association.association-id": (v) => v.CidrBlockAssociationSet?.map((a) => a.AssociationId),
        "cidr-block-association.state": (v) => v.CidrBlockAssociationSet?.map((a) => a.CidrBlockState?.State),
        "dhcp-options-id": (v) => v.DhcpOptionsId,
        "ipv6-cidr-block-association.ipv6-cidr-block": (v) => v.Ipv6CidrBlockAssociationSet?.map((a) => a.Ipv6CidrBlock),
        "ipv6-cidr-block-association.association-id": (v) => v.Ipv6CidrBlockAssociationSet?.map((a) => a.AssociationId),
        "ipv6-cidr-block-association.state": (v) => v.Ipv6CidrBlockAssociationSet?.map((a) => a.Ipv6CidrBlockState?.State),
        "is-default": (v) => v.IsDefault,
        isDefault: (v) => v.IsDefault,
        "owner-id": (v) => v.OwnerId,
        state: (v) => v.State,
        "vpc-id": (v) => v.VpcId,
      },
      tags: tagsOf,
    });
    const page = paginate(all.filter(predicate), input, { min: 5, max: 1000 }, (v) => v.VpcId!);
    return { Vpcs: page.items.map(omitEmptyTags), NextToken: page.nextToken };
  }

  CreateVpc(input: CreateVpcRequest, ctx: CallContext): CreateVpcResult {
    const scope = scopeOf(ctx);
    const tags = tagsFor(input.TagSpecifications, "vpc");
    if (!input.CidrBlock) throw Ec2Errors.missingParameter("cidrBlock");
    const cidr = parseCidr4(input.CidrBlock);
    if (!cidr) throw Ec2Errors.invalidParameterValue(`Value (${input.CidrBlock}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
    if (cidr.prefix < 16 || cidr.prefix > 28) throw awsError("InvalidVpc.Range", `The CIDR '${input.CidrBlock}' is invalid.`);
    if (this.vpcs(scope).size >= MAX_VPCS) throw awsError("VpcLimitExceeded", "The maximum number of VPCs has been reached.");
    const dhcp = this.meta(scope).get("network")!.dhcpOptionsId;
    const vpc = buildVpc(scope, cidrText(cidr), false, dhcp);
    vpc.InstanceTenancy = input.InstanceTenancy ?? "default";
    vpc.Tags = tags;
    const routeTable = buildMainRouteTable(scope, vpc);
    const group = buildDefaultGroup(scope, vpc.VpcId!);
    this.cloud.documents.transaction(() => {
      this.vpcs(scope).put(vpc.VpcId!, vpc);
      this.routeTables(scope).put(routeTable.RouteTableId!, routeTable);
      this.groups(scope).put(group.GroupId!, group);
    });
    return { Vpc: omitEmptyTags<Vpc>({ ...vpc, State: "pending" }) };
  }

  DeleteVpc(input: DeleteVpcRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const vpc = requireId(this.vpcs(scope), input.VpcId, KINDS.vpc);
    const id = vpc.VpcId!;
    const blocking =
      this.subnets(scope).values().some((s) => s.VpcId === id) ||
      this.internetGateways(scope).values().some((g) => g.Attachments?.some((a) => a.VpcId === id)) ||
      this.groups(scope).values().some((g) => g.VpcId === id && g.GroupName !== "default") ||
      this.routeTables(scope).values().some((t) => t.VpcId === id && !t.Associations?.some((a) => a.Main)) ||
      this.liveInstances(scope, (i) => i.VpcId === id).length > 0;
    if (blocking) throw Ec2Errors.dependencyViolation(`The vpc '${id}' has dependencies and cannot be deleted.`);
    this.cloud.documents.transaction(() => {
      for (const table of this.routeTables(scope).values().filter((t) => t.VpcId === id)) this.routeTables(scope).delete(table.RouteTableId!);
      for (const group of this.groups(scope).values().filter((g) => g.VpcId === id)) this.groups(scope).delete(group.GroupId!);
      this.vpcs(scope).delete(id);
      this.state.collection<VpcAttributes>("vpc-attributes", scope).delete(id);
      if (vpc.IsDefault) this.meta(scope).update("network", (m) => void (m.defaultVpcId = undefined));
    });
  }

  /** DNS attributes of a VPC: both on for the default VPC, hostnames off for others (EC2's defaults). */
  private vpcAttributes(scope: Scope, vpc: Vpc): VpcAttributes {
    const stored = this.state.collection<VpcAttributes>("vpc-attributes", scope).get(vpc.VpcId!);
    return { enableDnsSupport: true, enableDnsHostnames: vpc.IsDefault === true, enableNetworkAddressUsageMetrics: false, ...stored };
  }

  DescribeVpcAttribute(input: DescribeVpcAttributeRequest, ctx: CallContext): DescribeVpcAttributeResult {
    const scope = scopeOf(ctx);
    const vpc = requireId(this.vpcs(scope), input.VpcId, KINDS.vpc);
    const attributes = this.vpcAttributes(scope, vpc);
    switch (input.Attribute) {
      case "enableDnsSupport":
        return { VpcId: vpc.VpcId, EnableDnsSupport: { Value: attributes.enableDnsSupport } };
      case "enableDnsHostnames":
        return { VpcId: vpc.VpcId, EnableDnsHostnames: { Value: attributes.enableDnsHostnames } };
      case "enableNetworkAddressUsageMetrics":
        return { VpcId: vpc.VpcId, EnableNetworkAddressUsageMetrics: { Value: attributes.enableNetworkAddressUsageMetrics } };
      case undefined:
        throw Ec2Errors.missingParameter("attribute");
      default:
        throw Ec2Errors.invalidParameterValue(`Value (${String(input.Attribute)}) for parameter attribute is invalid. Unknown attribute.`);
    }
  }

  ModifyVpcAttribute(input: ModifyVpcAttributeRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const vpc = requireId(this.vpcs(scope), input.VpcId, KINDS.vpc);
    const given: Array<[keyof VpcAttributes, boolean | undefined, string]> = [
      ["enableDnsHostnames", input.EnableDnsHostnames?.Value, "enableDnsHostnames"],
      ["enableDnsSupport", input.EnableDnsSupport?.Value, "enableDnsSupport"],
      ["enableNetworkAddressUsageMetrics", input.EnableNetworkAddressUsageMetrics?.Value, "enableNetworkAddressUsageMetrics"],
    ];
    const changes = given.filter(([, value]) => value !== undefined);
    if (changes.length === 0) throw Ec2Errors.missingParameter("attribute");
    if (changes.length > 1) {
      throw Ec2Errors.invalidParameterCombination(`Fields for multiple attribute types specified: ${changes.map(([, , name]) => name).join(", ")}`);
    }
    const [key, value] = changes[0];
    const current = this.vpcAttributes(scope, vpc);
    if (key === "enableDnsHostnames" && value && !current.enableDnsSupport) {
      throw Ec2Errors.invalidParameterValue("Cannot enable DNS hostnames while DNS support is disabled for this VPC.");
    }
    this.state.collection<VpcAttributes>("vpc-attributes", scope).put(vpc.VpcId!, { ...current, [key]: value });
  }

  /** The region's default DHCP options set (the one every VPC uses): AmazonProvidedDNS and the region's domain. */
  DescribeDhcpOptions(input: DescribeDhcpOptionsRequest, ctx: CallContext): DescribeDhcpOptionsResult {
    const scope = scopeOf(ctx);
    this.ensureDefaults(scope);
    const id = this.meta(scope).get("network")!.dhcpOptionsId;
    const domain = scope.region === "us-east-1" ? "ec2.internal" : `${scope.region}.compute.internal`;
    const options: DhcpOptions = {
      DhcpOptionsId: id,
      OwnerId: scope.account,
      DhcpConfigurations: [
        { Key: "domain-name", Values: [{ Value: domain }] },
        { Key: "domain-name-servers", Values: [{ Value: "AmazonProvidedDNS" }] },
      ],
    };
    const idsGiven = Boolean(input.DhcpOptionsIds?.length);
    if (idsGiven) {
      const missing = input.DhcpOptionsIds!.filter((d) => d !== id);
      if (missing.length) throw Ec2Errors.notFound("InvalidDhcpOptionID.NotFound", "dhcpOption", missing);
    }
    const predicate = compileFilters<DhcpOptions>(input.Filters, {
      fields: {
        "dhcp-options-id": (d) => d.DhcpOptionsId,
        key: (d) => d.DhcpConfigurations?.map((c) => c.Key),
        value: (d) => d.DhcpConfigurations?.flatMap((c) => c.Values?.map((v) => v.Value)),
        "owner-id": (d) => d.OwnerId,
      },
      tags: tagsOf,
    });
    const page = paginate([options].filter(predicate), input, { min: 5, max: 1000, idsParameter: "DhcpOptionsIds" }, (d) => d.DhcpOptionsId!, idsGiven);
    return { DhcpOptions: page.items, NextToken: page.nextToken };
  }

  CreateDefaultVpc(_input: CreateDefaultVpcRequest, ctx: CallContext): CreateDefaultVpcResult {
    const scope = scopeOf(ctx);
    const meta = this.meta(scope);
    this.ensureDefaults(scope);
    if (meta.get("network")!.defaultVpcId) {
      throw awsError("DefaultVpcAlreadyExists", "A Default VPC already exists for this account in this region.");
    }
    if (this.vpcs(scope).size >= MAX_VPCS) throw awsError("VpcLimitExceeded", "The maximum number of VPCs has been reached.");
    const network = buildDefaultNetwork(scope, meta.get("network")!.dhcpOptionsId);
    this.cloud.documents.transaction(() => {
      this.vpcs(scope).put(network.vpc.VpcId!, network.vpc);
      for (const subnet of network.subnets) this.subnets(scope).put(subnet.SubnetId!, subnet);
      this.internetGateways(scope).put(network.internetGateway.InternetGatewayId!, network.internetGateway);
      this.routeTables(scope).put(network.routeTable.RouteTableId!, network.routeTable);
      this.groups(scope).put(network.securityGroup.GroupId!, network.securityGroup);
      meta.update("network", (m) => void (m.defaultVpcId = network.vpc.VpcId));
    });
    return { Vpc: omitEmptyTags<Vpc>({ ...network.vpc, State: "pending" }) };
  }

  // ---- Subnets ----

  DescribeSubnets(input: DescribeSubnetsRequest, ctx: CallContext): DescribeSubnetsResult {
    const scope = scopeOf(ctx);
    const all = input.SubnetIds?.length ? requireIds(this.subnets(scope), input.SubnetIds, KINDS.subnet) : this.subnets(scope).values();
    const inUse = this.addressesInUse(scope);
    const shaped = all.map((s) => ({ ...s, AvailableIpAddressCount: usableAddressCount(parseCidr4(s.CidrBlock!)!) - (inUse.get(s.SubnetId!) ?? 0) }));
    const predicate = compileFilters<Subnet>(input.Filters, {
      fields: {
        "availability-zone": (s) => s.AvailabilityZone,
        availabilityZone: (s) => s.AvailabilityZone,
        "availability-zone-id": (s) => s.AvailabilityZoneId,
        availabilityZoneId: (s) => s.AvailabilityZoneId,
        "available-ip-address-count": (s) => s.AvailableIpAddressCount,
        "cidr-block": (s) => s.CidrBlock,
        cidr: (s) => s.CidrBlock,
        cidrBlock: (s) => s.CidrBlock,
        "customer-owned-ipv4-pool": (s) => s.CustomerOwnedIpv4Pool,
        "default-for-az": (s) => s.DefaultForAz,
        defaultForAz: (s) => s.DefaultForAz,
        "enable-dns64": (s) => s.EnableDns64,
        "ipv6-cidr-block-association.ipv6-cidr-block": (s) => s.Ipv6CidrBlockAssociationSet?.map((a) => a.Ipv6CidrBlock),
        "ipv6-cidr-block-association.association-id": (s) => s.Ipv6CidrBlockAssociationSet?.map((a) => a.AssociationId),
        "ipv6-cidr-block-association.state": (s) => s.Ipv6CidrBlockAssociationSet?.map((a) => a.Ipv6CidrBlockState?.State),
        "ipv6-native": (s) => s.Ipv6Native,
        "map-customer-owned-ip-on-launch": (s) => s.MapCustomerOwnedIpOnLaunch,
        "map-public-ip-on-launch": (s) => s.MapPublicIpOnLaunch,
        "outpost-arn": (s) => s.OutpostArn,
        "owner-id": (s) => s.OwnerId,
        "private-dns-name-options-on-launch.hostname-type": (s) => s.PrivateDnsNameOptionsOnLaunch?.HostnameType,
        state: (s) => s.State,
        "subnet-arn": (s) => s.SubnetArn,
        "subnet-id": (s) => s.SubnetId,
        "vpc-id": (s) => s.VpcId,
      },
      tags: tagsOf,
    });
    const page = paginate(shaped.filter(predicate), input, { min: 5, max: 1000 }, (s) => s.SubnetId!);
    return { Subnets: page.items.map(omitEmptyTags), NextToken: page.nextToken };
  }

  CreateSubnet(input: CreateSubnetRequest, ctx: CallContext): CreateSubnetResult {
    const scope = scopeOf(ctx);
    const tags = tagsFor(input.TagSpecifications, "subnet");
    const vpc = requireId(this.vpcs(scope), input.VpcId, KINDS.vpc);
    if (!input.CidrBlock) throw Ec2Errors.missingParameter("cidrBlock");
    const cidr = parseCidr4(input.CidrBlock);
    if (!cidr) throw Ec2Errors.invalidParameterValue(`Value (${input.CidrBlock}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
    const vpcCidr = parseCidr4(vpc.CidrBlock!)!;
    if (cidr.prefix > 28 || !cidrContains(vpcCidr, cidr)) throw awsError("InvalidSubnet.Range", `The CIDR '${input.CidrBlock}' is invalid.`);
    const siblings = this.subnets(scope).values().filter((s) => s.VpcId === vpc.VpcId);
    if (siblings.some((s) => cidrOverlaps(parseCidr4(s.CidrBlock!)!, cidr))) {
      throw awsError("InvalidSubnet.Conflict", `The CIDR '${input.CidrBlock}' conflicts with another subnet`);
    }
    const region = regionInfo(scope.region);
    let zone = region.zones[Math.abs(hash(input.CidrBlock)) % region.zones.length];
    if (input.AvailabilityZone || input.AvailabilityZoneId) {
      const found = input.AvailabilityZone ? findZone(scope.region, input.AvailabilityZone) : findZoneById(scope.region, input.AvailabilityZoneId!);
      if (!found) {
        const parameter = input.AvailabilityZone ? "availabilityZone" : "availabilityZoneId";
        throw Ec2Errors.invalidParameterValue(
          `Value (${input.AvailabilityZone ?? input.AvailabilityZoneId}) for parameter ${parameter} is invalid. Subnets can currently only be created in the following availability zones: ${region.zones.map((z) => z.name).join(", ")}.`,
        );
      }
      zone = found;
    }
    const subnet = buildSubnet(scope, vpc.VpcId!, cidr, zone, false);
    subnet.Tags = tags;
    this.subnets(scope).put(subnet.SubnetId!, subnet);
    return { Subnet: omitEmptyTags(subnet) };
  }

  DeleteSubnet(input: DeleteSubnetRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const subnet = requireId(this.subnets(scope), input.SubnetId, KINDS.subnet);
    const interfaces = this.state.collection<{ SubnetId?: string }>("network-interfaces", scope).values();
    if (this.liveInstances(scope, (i) => i.SubnetId === subnet.SubnetId).length || interfaces.some((n) => n.SubnetId === subnet.SubnetId)) {
      throw Ec2Errors.dependencyViolation(`The subnet '${subnet.SubnetId}' has dependencies and cannot be deleted.`);
    }
    this.cloud.documents.transaction(() => {
      // The subnet's explicit route table association goes with it.
      for (const table of this.routeTables(scope).values()) {
        if (!table.Associations?.some((x) => x.SubnetId === subnet.SubnetId)) continue;
        this.routeTables(scope).update(table.RouteTableId!, (t) => void (t.Associations = t.Associations!.filter((x) => x.SubnetId !== subnet.SubnetId)));
      }
      this.subnets(scope).delete(subnet.SubnetId!);
    });
  }

  ModifySubnetAttribute(input: ModifySubnetAttributeRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const subnet = requireId(this.subnets(scope), input.SubnetId, KINDS.subnet);
    this.subnets(scope).update(subnet.SubnetId!, (s) => {
      if (input.MapPublicIpOnLaunch?.Value !== undefined) s.MapPublicIpOnLaunch = input.MapPublicIpOnLaunch.Value;
      if (input.AssignIpv6AddressOnCreation?.Value !== undefined) s.AssignIpv6AddressOnCreation = input.AssignIpv6AddressOnCreation.Value;
      if (input.EnableDns64?.Value !== undefined) s.EnableDns64 = input.EnableDns64.Value;
    });
  }

  /** The subnet an address belongs to, for a private IP the caller asked for. */
  subnetHolds(subnet: Subnet, ip: string): boolean {
    const n = ipToInt(ip);
    return n !== undefined && ipInCidr(n, parseCidr4(subnet.CidrBlock!)!);
  }

  // ---- Internet gateways ----

  DescribeInternetGateways(input: DescribeInternetGatewaysRequest, ctx: CallContext): DescribeInternetGatewaysResult {
    const scope = scopeOf(ctx);
    const all = input.InternetGatewayIds?.length
      ? requireIds(this.internetGateways(scope), input.InternetGatewayIds, KINDS.igw)
      : this.internetGateways(scope).values();
    const predicate = compileFilters<InternetGateway>(input.Filters, {
      fields: {
        "attachment.state": (g) => g.Attachments?.map((a) => a.State),
        "attachment.vpc-id": (g) => g.Attachments?.map((a) => a.VpcId),
        "internet-gateway-id": (g) => g.InternetGatewayId,
        "owner-id": (g) => g.OwnerId,
      },
      tags: tagsOf,
    });
    const page = paginate(all.filter(predicate), input, { min: 5, max: 1000 }, (g) => g.InternetGatewayId!);
    return { InternetGateways: page.items.map(omitEmptyTags), NextToken: page.nextToken };
  }

  CreateInternetGateway(input: CreateInternetGatewayRequest, ctx: CallContext): CreateInternetGatewayResult {
    const scope = scopeOf(ctx);
    const gateway: InternetGateway = {
      InternetGatewayId: ec2Id("igw"),
      OwnerId: scope.account,
      Attachments: [],
      Tags: tagsFor(input.TagSpecifications, "internet-gateway"),
    };
    this.internetGateways(scope).put(gateway.InternetGatewayId!, gateway);
    return { InternetGateway: omitEmptyTags(gateway) };
  }

  AttachInternetGateway(input: AttachInternetGatewayRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const gateway = requireId(this.internetGateways(scope), input.InternetGatewayId, KINDS.igw);
    const vpc = requireId(this.vpcs(scope), input.VpcId, KINDS.vpc);
    if (gateway.Attachments?.length) {
      throw awsError("Resource.AlreadyAssociated", `resource ${gateway.InternetGatewayId} is already attached to network ${gateway.Attachments[0].VpcId}`);
    }
    if (this.internetGateways(scope).values().some((g) => g.Attachments?.some((a) => a.VpcId === vpc.VpcId))) {
      throw awsError("Resource.AlreadyAssociated", `network ${vpc.VpcId} already has an internet gateway attached`);
    }
    this.internetGateways(scope).update(gateway.InternetGatewayId!, (g) => void (g.Attachments = [{ State: IGW_ATTACHED, VpcId: vpc.VpcId }]));
  }

  DetachInternetGateway(input: DetachInternetGatewayRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const gateway = requireId(this.internetGateways(scope), input.InternetGatewayId, KINDS.igw);
    if (!gateway.Attachments?.some((a) => a.VpcId === input.VpcId)) {
      throw awsError("Gateway.NotAttached", `resource ${gateway.InternetGatewayId} is not attached to network ${input.VpcId}`);
    }
    this.internetGateways(scope).update(gateway.InternetGatewayId!, (g) => void (g.Attachments = []));
  }

  DeleteInternetGateway(input: DeleteInternetGatewayRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const gateway = requireId(this.internetGateways(scope), input.InternetGatewayId, KINDS.igw);
    if (gateway.Attachments?.length) {
      throw Ec2Errors.dependencyViolation(`The internetGateway '${gateway.InternetGatewayId}' has dependencies and cannot be deleted.`);
    }
    this.internetGateways(scope).delete(gateway.InternetGatewayId!);
  }

  // ---- Account ----

  DescribeAccountAttributes(input: DescribeAccountAttributesRequest, ctx: CallContext): DescribeAccountAttributesResult {
    const scope = scopeOf(ctx);
    const meta = (this.ensureDefaults(scope), this.meta(scope).get("network")!);
    const all: AccountAttribute[] = [
      { AttributeName: "supported-platforms", AttributeValues: [{ AttributeValue: "VPC" }] },
      { AttributeName: "vpc-max-security-groups-per-interface", AttributeValues: [{ AttributeValue: "5" }] },
      { AttributeName: "max-elastic-ips", AttributeValues: [{ AttributeValue: "5" }] },
      { AttributeName: "max-instances", AttributeValues: [{ AttributeValue: "1152" }] },
      { AttributeName: "vpc-max-elastic-ips", AttributeValues: [{ AttributeValue: "5" }] },
      { AttributeName: "default-vpc", AttributeValues: [{ AttributeValue: meta.defaultVpcId ?? "none" }] },
    ];
    const wanted = input.AttributeNames;
    return { AccountAttributes: wanted?.length ? all.filter((a) => wanted.includes(a.AttributeName as never)) : all };
  }
}

export function scopeOf(ctx: CallContext): Scope {
  return { account: ctx.account, region: ctx.region };
}

const awsError = Ec2Errors.custom;

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}
