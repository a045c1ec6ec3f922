/**
 * Network interfaces as stored and shown: interfaces of their own (a
 * collection), an instance's primary interface (derived from the instance
 * record), their views in DescribeNetworkInterfaces and in an instance's
 * NetworkInterfaces, and interfaces AWS manages for a resource.
 */
import { crypto } from "../../../core/crypto.js";
import { ec2Id } from "../../../core/ids.js";
import type { InstanceNetworkInterface, NetworkInterface, NetworkInterfaceAssociation } from "../../../generated/ec2.js";
import type { Scope, ScopedCollection } from "../../../state/documents.js";
import { Ec2Errors } from "../errors.js";
import type { IdKind } from "../lookup.js";
import type { Ec2State, InstanceRecord } from "../state.js";
import { cidrSize, intToIp, parseCidr4 } from "./cidr.js";
import { privateDnsName, publicDnsName } from "./public-ips.js";

export const ENI_KIND: IdKind = { prefix: "eni", notFoundCode: "InvalidNetworkInterfaceID.NotFound", noun: "networkInterface" };
export const ATTACHMENT_KIND: IdKind = { prefix: "eni-attach", notFoundCode: "InvalidAttachmentID.NotFound", noun: "attachment" };

/** A network interface of its own (not an instance's primary one): the API shape with TagSet. */
export type InterfaceRecord = NetworkInterface & { _createdAt: number };

export function interfaces(state: Ec2State, scope: Scope): ScopedCollection<InterfaceRecord> {
  return state.collection<InterfaceRecord>("network-interfaces", scope);
}

/** Private addresses held by interfaces of their own in a subnet (instances must not take them). */
export function interfaceAddresses(state: Ec2State, scope: Scope, subnetId: string): string[] {
  return interfaces(state, scope)
    .values()
    .filter((n) => n.SubnetId === subnetId)
    .map((n) => n.PrivateIpAddress!);
}

/**
 * An interface AWS manages for a resource (a NAT gateway's): in use, no
 * security groups, an address of the subnet. Stored; returns the record.
 */
export function createManagedInterface(
  state: Ec2State,
  scope: Scope,
  subnet: { SubnetId?: string; CidrBlock?: string; VpcId?: string; AvailabilityZone?: string; AvailabilityZoneId?: string },
  options: { description: string; interfaceType: NetworkInterface["InterfaceType"]; requesterId: string; privateIp?: string; createdAt: number },
): InterfaceRecord {
  const used = new Set([
    ...state
      .instances(scope)
      .values()
      .filter((i) => i.SubnetId === subnet.SubnetId && i.State?.Name !== "terminated")
      .map((i) => i.PrivateIpAddress!),
    ...interfaceAddresses(state, scope, subnet.SubnetId!),
  ]);
  const ip = options.privateIp ?? freeAddress(parseCidr4(subnet.CidrBlock!)!, used, subnet.SubnetId!);
  if (options.privateIp && used.has(ip)) throw Ec2Errors.custom("InvalidIPAddress.InUse", `The specified address is already in use.`);
  const dns = privateDnsName(scope.region, ip);
  const record: InterfaceRecord = {
    AvailabilityZone: subnet.AvailabilityZone,
    AvailabilityZoneId: subnet.AvailabilityZoneId,
    Description: options.description,
    Groups: [],
    InterfaceType: options.interfaceType,
    Ipv6Addresses: [],
    MacAddress: macAddress(),
    NetworkInterfaceId: ec2Id("eni"),
    OwnerId: scope.account,
    PrivateDnsName: dns,
    PrivateIpAddress: ip,
    PrivateIpAddresses: [{ Primary: true, PrivateDnsName: dns, PrivateIpAddress: ip }],
    RequesterId: options.requesterId,
    RequesterManaged: true,
    SourceDestCheck: false,
    Status: "in-use",
    SubnetId: subnet.SubnetId,
    VpcId: subnet.VpcId,
    TagSet: [],
    _createdAt: options.createdAt,
  };
  interfaces(state, scope).put(record.NetworkInterfaceId!, record);
  return record;
}

/** The public address on an instance's primary interface (its Elastic IP, else its auto-assigned one). */
function primaryAssociation(record: InstanceRecord, scope: Scope): NetworkInterfaceAssociation | undefined {
  const ip = record._eip?.publicIp ?? record._publicIp;
  if (!ip) return undefined;
  return {
    IpOwnerId: record._eip ? scope.account : "amazon",
    PublicDnsName: publicDnsName(scope.region, ip),
    PublicIp: ip,
    ...(record._eip ? { AllocationId: record._eip.allocationId, AssociationId: record._eip.associationId } : {}),
  };
}

/** An instance's primary interface as DescribeNetworkInterfaces shows it. */
export function primaryInterfaceView(record: InstanceRecord, scope: Scope): NetworkInterface {
  const association = primaryAssociation(record, scope);
  const launching = record.State?.Name === "pending" && !record._lastRun;
  return {
    Association: association,
    Attachment: {
      AttachTime: new Date(record._createdAt),
      AttachmentId: record._eni.attachmentId,
      DeleteOnTermination: record._eni.deleteOnTermination ?? true,
      DeviceIndex: 0,
      NetworkCardIndex: 0,
      InstanceId: record.InstanceId,
      InstanceOwnerId: scope.account,
      Status: launching ? "attaching" : "attached",
    },
    AvailabilityZone: record.Placement?.AvailabilityZone,
    AvailabilityZoneId: record.Placement?.AvailabilityZoneId,
    Description: record._eni.description ?? "",
    Groups: record.SecurityGroups,
    InterfaceType: "interface",
    Ipv6Addresses: [],
    MacAddress: record._eni.mac,
    NetworkInterfaceId: record._eni.id,
    OwnerId: scope.account,
    PrivateDnsName: record.PrivateDnsName,
    PrivateIpAddress: record.PrivateIpAddress,
    PrivateIpAddresses: [{ Association: association, Primary: true, PrivateDnsName: record.PrivateDnsName, PrivateIpAddress: record.PrivateIpAddress }],
    RequesterManaged: false,
    SourceDestCheck: record.SourceDestCheck,
    Status: "in-use",
    SubnetId: record.SubnetId,
    VpcId: record.VpcId,
    TagSet: record._eni.tags ?? [],
  };
}

/** An interface as an instance's NetworkInterfaces list shows it. */
export function asInstanceInterface(eni: NetworkInterface): InstanceNetworkInterface {
  const association = eni.Association ? { IpOwnerId: eni.Association.IpOwnerId, PublicDnsName: eni.Association.PublicDnsName, PublicIp: eni.Association.PublicIp } : undefined;
  return {
    Association: association,
    Attachment: eni.Attachment
      ? {
          AttachTime: eni.Attachment.AttachTime,
          AttachmentId: eni.Attachment.AttachmentId,
          DeleteOnTermination: eni.Attachment.DeleteOnTermination,
          DeviceIndex: eni.Attachment.DeviceIndex,
          Status: eni.Attachment.Status,
          NetworkCardIndex: eni.Attachment.NetworkCardIndex,
        }
      : undefined,
    Description: eni.Description,
    Groups: eni.Groups,
    Ipv6Addresses: [],
    MacAddress: eni.MacAddress,
    NetworkInterfaceId: eni.NetworkInterfaceId,
    OwnerId: eni.OwnerId,
    PrivateDnsName: eni.PrivateDnsName,
    PrivateIpAddress: eni.PrivateIpAddress,
    PrivateIpAddresses: (eni.PrivateIpAddresses ?? []).map((p) => ({ Association: association, Primary: p.Primary, PrivateDnsName: p.PrivateDnsName, PrivateIpAddress: p.PrivateIpAddress })),
    SourceDestCheck: eni.SourceDestCheck,
    Status: eni.Status,
    SubnetId: eni.SubnetId,
    VpcId: eni.VpcId,
    InterfaceType: eni.InterfaceType,
  };
}

/** Interfaces of their own attached to instances, by instance id, as instances show them. */
export function secondaryInterfaces(state: Ec2State, scope: Scope): Map<string, InstanceNetworkInterface[]> {
  const out = new Map<string, InstanceNetworkInterface[]>();
  for (const eni of interfaces(state, scope).values()) {
    const instanceId = eni.Attachment?.InstanceId;
    if (!instanceId) continue;
    const list = out.get(instanceId) ?? [];
    list.push(asInstanceInterface(eni));
    out.set(instanceId, list);
  }
  for (const list of out.values()) list.sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0));
  return out;
}

/** A free host address of a subnet (AWS reserves the first four and the last). */
export function freeAddress(cidr: { base: number; prefix: number }, used: ReadonlySet<string>, subnetId: string): string {
  const size = cidrSize(cidr);
  const first = cidr.base + 4;
  const span = size - 5;
  const start = crypto().randomInt(span);
  for (let i = 0; i < span; i++) {
    const ip = intToIp(first + ((start + i) % span));
    if (!used.has(ip)) return ip;
  }
  throw Ec2Errors.custom("InsufficientFreeAddressesInSubnet", `There are not enough free addresses in subnet '${subnetId}' to satisfy the requested number of instances.`);
}

export function macAddress(): string {
  const bytes = crypto().randomBytes(5);
  return ["0e", ...[...bytes].map((b) => b.toString(16).padStart(2, "0"))].join(":");
}
