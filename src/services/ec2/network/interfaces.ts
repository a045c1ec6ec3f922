/**
 * Elastic network interfaces. Every instance has a primary interface (device
 * index 0) that lives in the instance record (its id, MAC, addresses, groups
 * and public address are the instance's); interfaces you create are their own
 * records, attached at device index 1 and up. DescribeNetworkInterfaces shows
 * both, and DescribeInstances shows an instance's attached ones, from the
 * same views (interface-records.ts).
 */
import type { Cloud } from "../../../cloud.js";
import { ec2Id } from "../../../core/ids.js";
import type {
  AttachNetworkInterfaceRequest,
  AttachNetworkInterfaceResult,
  CreateNetworkInterfaceRequest,
  CreateNetworkInterfaceResult,
  DeleteNetworkInterfaceRequest,
  DescribeNetworkInterfaceAttributeRequest,
  DescribeNetworkInterfaceAttributeResult,
  DescribeNetworkInterfacesRequest,
  DescribeNetworkInterfacesResult,
  DetachNetworkInterfaceRequest,
  InstanceNetworkInterfaceSpecification,
  ModifyNetworkInterfaceAttributeRequest,
  NetworkInterface,
  Tag,
} from "../../../generated/ec2.js";
import type { Scope, ScopedCollection } from "../../../state/documents.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters } from "../filters.js";
import { instanceType } from "../instance-types/catalog.js";
import { checkIdShape, requireId, type IdKind } from "../lookup.js";
import { KINDS } from "../lookup.js";
import { paginate } from "../pagination.js";
import type { Ec2State, InstanceRecord } from "../state.js";
import { tagsFor } from "../tags.js";
import type { NetworkModule } from "./module.js";
import { scopeOf } from "./module.js";
import { parseCidr4 } from "./cidr.js";
import { privateDnsName } from "./public-ips.js";
import type { SecurityGroupsModule } from "./security-groups.js";
import {
  ATTACHMENT_KIND,
  ENI_KIND,
  type InterfaceRecord,
  freeAddress,
  interfaceAddresses,
  interfaces,
  macAddress,
  primaryInterfaceView,
} from "./interface-records.js";

export * from "./interface-records.js";

export interface InterfaceDeps {
  network: NetworkModule;
  groups: SecurityGroupsModule;
  /** A live (not terminated) instance. */
  liveInstance(scope: Scope, id: string): InstanceRecord | undefined;
  /** Private addresses instances hold in a subnet. */
  instanceAddresses(scope: Scope, subnetId: string): string[];
  /** Updates an instance record (its primary interface's groups, description, source/dest check). */
  updateInstance(scope: Scope, id: string, change: (record: InstanceRecord) => void): void;
}

export class NetworkInterfacesModule {
  constructor(
    readonly cloud: Cloud,
    private readonly state: Ec2State,
    private readonly deps: InterfaceDeps,
  ) {
    state.registerTaggable({
      prefix: "eni",
      resourceType: "network-interface",
      // Tags of interfaces live in TagSet (the API's name); the tag operations read and write Tags.
      collection: (scope) => taggedView(state, scope),
      notFound: { code: ENI_KIND.notFoundCode, noun: ENI_KIND.noun },
    });
  }

  private all(scope: Scope): ScopedCollection<InterfaceRecord> {
    return interfaces(this.state, scope);
  }

  /** Primary interfaces of live instances plus the interfaces of their own. */
  private views(scope: Scope): NetworkInterface[] {
    const out: NetworkInterface[] = this.all(scope).values().map(view);
    for (const instance of this.state.instances(scope).values()) {
      if (instance.State?.Name === "terminated") continue;
      out.push(primaryInterfaceView(instance, scope));
    }
    return out;
  }

  /** An interface by id: its own record, or the instance whose primary interface it is. */
  private locate(scope: Scope, id: string): { own?: InterfaceRecord; instance?: InstanceRecord } {
    checkIdShape(id, ENI_KIND);
    const own = this.all(scope).get(id);
    if (own) return { own };
    const instance = this.state
      .instances(scope)
      .values()
      .find((i) => i._eni.id === id && i.State?.Name !== "terminated");
    if (instance) return { instance };
    throw Ec2Errors.notFound(ENI_KIND.notFoundCode, ENI_KIND.noun, [id]);
  }

  CreateNetworkInterface(input: CreateNetworkInterfaceRequest, ctx: CallContext): CreateNetworkInterfaceResult {
    const scope = scopeOf(ctx);
    const tags = tagsFor(input.TagSpecifications, "network-interface");
    if (!input.SubnetId) throw Ec2Errors.missingParameter("subnetId");
    if (input.ClientToken) {
      const earlier = this.all(scope)
        .values()
        .find((n) => (n as { _clientToken?: string })._clientToken === input.ClientToken);
      if (earlier) return { NetworkInterface: view(earlier), ClientToken: input.ClientToken };
    }
    const record = this.create(scope, input, tags, ctx.accessKeyId || undefined);
    return { NetworkInterface: view(record), ClientToken: input.ClientToken };
  }

  /** A new interface of its own in a subnet, stored. */
  private create(scope: Scope, input: CreateNetworkInterfaceRequest, tags: Tag[], requesterId?: string): InterfaceRecord {
    const subnet = requireId(this.deps.network.subnets(scope), input.SubnetId, KINDS.subnet);
    if (input.Description !== undefined && input.Description.length > 255) throw Ec2Errors.invalidParameterValue("Description must be no longer than 255 characters");
    let groups = this.deps.groups.resolveForLaunch(scope, subnet.VpcId!, input.Groups ?? [], []);
    if (!groups.length) {
      const fallback = this.deps.network.defaultGroup(scope, subnet.VpcId!);
      groups = fallback ? [fallback] : [];
    }
    if (groups.length > 5) throw Ec2Errors.custom("SecurityGroupsPerInterfaceLimitExceeded", "The maximum number of security groups per interface has been reached.");
    const cidr = parseCidr4(subnet.CidrBlock!)!;
    const used = new Set([...this.deps.instanceAddresses(scope, subnet.SubnetId!), ...interfaceAddresses(this.state, scope, subnet.SubnetId!)]);
    let ip = input.PrivateIpAddress ?? input.PrivateIpAddresses?.find((p) => p.Primary)?.PrivateIpAddress ?? input.PrivateIpAddresses?.[0]?.PrivateIpAddress;
    if (ip) {
      if (!this.deps.network.subnetHolds(subnet, ip)) throw Ec2Errors.invalidParameterValue(`Address ${ip} does not fall within the subnet's address range`);
      if (used.has(ip)) throw Ec2Errors.custom("InvalidIPAddress.InUse", `The specified address is already in use.`);
    } else ip = freeAddress(cidr, used, subnet.SubnetId!);
    const id = ec2Id("eni");
    const dns = privateDnsName(scope.region, ip);
    const record: InterfaceRecord & { _clientToken?: string } = {
      AvailabilityZone: subnet.AvailabilityZone,
      AvailabilityZoneId: subnet.AvailabilityZoneId,
      Description: input.Description ?? "",
      Groups: groups.map((g) => ({ GroupId: g.GroupId, GroupName: g.GroupName })),
      InterfaceType: "interface",
      Ipv6Addresses: [],
      MacAddress: macAddress(),
      NetworkInterfaceId: id,
      OwnerId: scope.account,
      PrivateDnsName: dns,
      PrivateIpAddress: ip,
      PrivateIpAddresses: [{ Primary: true, PrivateDnsName: dns, PrivateIpAddress: ip }],
      RequesterId: requesterId,
      RequesterManaged: false,
      SourceDestCheck: true,
      Status: "available",
      SubnetId: subnet.SubnetId,
      VpcId: subnet.VpcId,
      TagSet: tags,
      _createdAt: this.cloud.clock.now(),
      _clientToken: input.ClientToken,
    };
    this.all(scope).put(id, record);
    return record;
  }

  /**
   * RunInstances' interfaces at device index 1 and up: each existing one
   * attached, each other one created in its subnet (the instance's by default)
   * and attached, DeleteOnTermination defaulting as in EC2 (false for existing
   * interfaces, true for new ones).
   */
  launchSecondary(scope: Scope, instance: InstanceRecord, specs: InstanceNetworkInterfaceSpecification[]): void {
    const limit = instanceType(instance.InstanceType!)?.NetworkInfo?.MaximumNetworkInterfaces ?? 2;
    if (specs.length + 1 > limit) {
      throw Ec2Errors.custom("InterfaceLimitExceeded", `Interface count ${specs.length + 1} exceeds the limit for ${instance.InstanceType}`);
    }
    for (const spec of specs) {
      let record: InterfaceRecord;
      if (spec.NetworkInterfaceId) {
        checkIdShape(spec.NetworkInterfaceId, ENI_KIND);
        const found = this.all(scope).get(spec.NetworkInterfaceId);
        if (!found) throw Ec2Errors.notFound(ENI_KIND.notFoundCode, ENI_KIND.noun, [spec.NetworkInterfaceId]);
        if (found.Attachment?.InstanceId) throw Ec2Errors.custom("InvalidNetworkInterface.InUse", `Interface: [${found.NetworkInterfaceId}] in use.`);
        record = found;
      } else {
        record = this.create(
          scope,
          {
            SubnetId: spec.SubnetId ?? instance.SubnetId!,
            Groups: spec.Groups?.length ? spec.Groups : (instance.SecurityGroups ?? []).map((g) => g.GroupId!),
            Description: spec.Description,
            PrivateIpAddress: spec.PrivateIpAddress,
          },
          [],
        );
      }
      if (record.AvailabilityZone !== instance.Placement?.AvailabilityZone || record.VpcId !== instance.VpcId) {
        throw Ec2Errors.invalidParameterCombination(`You may not attach a network interface to an instance if they are not in the same availability zone`);
      }
      this.all(scope).update(record.NetworkInterfaceId!, (n) => {
        n.Status = "in-use";
        n.Attachment = {
          AttachTime: new Date(instance._createdAt),
          AttachmentId: ec2Id("eni-attach"),
          DeleteOnTermination: spec.DeleteOnTermination ?? !spec.NetworkInterfaceId,
          DeviceIndex: spec.DeviceIndex,
          NetworkCardIndex: spec.NetworkCardIndex ?? 0,
          InstanceId: instance.InstanceId,
          InstanceOwnerId: scope.account,
          Status: "attached",
        };
      });
    }
  }

  DescribeNetworkInterfaces(input: DescribeNetworkInterfacesRequest, ctx: CallContext): DescribeNetworkInterfacesResult {
    const scope = scopeOf(ctx);
    const ids = input.NetworkInterfaceIds ?? [];
    let all = this.views(scope);
    if (ids.length) {
      for (const id of ids) checkIdShape(id, ENI_KIND);
      const byId = new Map(all.map((n) => [n.NetworkInterfaceId!, n]));
      const missing = [...new Set(ids)].filter((id) => !byId.has(id));
      if (missing.length) throw Ec2Errors.notFound(ENI_KIND.notFoundCode, ENI_KIND.noun, missing);
      all = [...new Set(ids)].map((id) => byId.get(id)!);
    }
    const predicate = compileFilters<NetworkInterface>(input.Filters, {
      fields: {
        "addresses.private-ip-address": (n) => n.PrivateIpAddresses?.map((p) => p.PrivateIpAddress),
        "addresses.primary": (n) => n.PrivateIpAddresses?.map((p) => p.Primary),
        "addresses.association.public-ip": (n) => n.PrivateIpAddresses?.map((p) => p.Association?.PublicIp),
        "addresses.association.owner-id": (n) => n.PrivateIpAddresses?.map((p) => p.Association?.IpOwnerId),
        "association.association-id": (n) => n.Association?.AssociationId,
        "association.allocation-id": (n) => n.Association?.AllocationId,
        "association.ip-owner-id": (n) => n.Association?.IpOwnerId,
        "association.public-ip": (n) => n.Association?.PublicIp,
        "association.public-dns-name": (n) => n.Association?.PublicDnsName,
        "attachment.attachment-id": (n) => n.Attachment?.AttachmentId,
        "attachment.attach-time": (n) => n.Attachment?.AttachTime,
        "attachment.delete-on-termination": (n) => n.Attachment?.DeleteOnTermination,
        "attachment.device-index": (n) => n.Attachment?.DeviceIndex,
        "attachment.instance-id": (n) => n.Attachment?.InstanceId,
        "attachment.instance-owner-id": (n) => n.Attachment?.InstanceOwnerId,
        "attachment.status": (n) => n.Attachment?.Status,
        "availability-zone": (n) => n.AvailabilityZone,
        description: (n) => n.Description,
        "group-id": (n) => n.Groups?.map((g) => g.GroupId),
        "group-name": (n) => n.Groups?.map((g) => g.GroupName),
        "interface-type": (n) => n.InterfaceType,
        "ipv6-addresses.ipv6-address": (n) => n.Ipv6Addresses?.map((a) => a.Ipv6Address),
        "mac-address": (n) => n.MacAddress,
        "network-interface-id": (n) => n.NetworkInterfaceId,
        "owner-id": (n) => n.OwnerId,
        "private-dns-name": (n) => n.PrivateDnsName,
        "private-ip-address": (n) => n.PrivateIpAddress,
        "requester-id": (n) => n.RequesterId,
        "requester-managed": (n) => n.RequesterManaged,
        "source-dest-check": (n) => n.SourceDestCheck,
        status: (n) => n.Status,
        "subnet-id": (n) => n.SubnetId,
        "vpc-id": (n) => n.VpcId,
      },
      tags: (n) => n.TagSet,
    });
    const page = paginate(all.filter(predicate), input, { min: 5, max: 1000, idsParameter: "NetworkInterfaceIds" }, (n) => n.NetworkInterfaceId!, ids.length > 0);
    return { NetworkInterfaces: page.items, NextToken: page.nextToken };
  }

  DeleteNetworkInterface(input: DeleteNetworkInterfaceRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const { own } = this.locate(scope, input.NetworkInterfaceId);
    if (!own || own.Attachment?.InstanceId) {
      throw Ec2Errors.custom("InvalidNetworkInterface.InUse", `The network interface '${input.NetworkInterfaceId}' is currently in use.`);
    }
    if (own.RequesterManaged) {
      throw Ec2Errors.custom("InvalidNetworkInterface.InUse", `The network interface '${input.NetworkInterfaceId}' is currently in use.`);
    }
    if (this.state.collection<{ NetworkInterfaceId?: string }>("addresses", scope).values().some((a) => a.NetworkInterfaceId === own.NetworkInterfaceId)) {
      throw Ec2Errors.custom("InvalidNetworkInterface.InUse", `The network interface '${input.NetworkInterfaceId}' is currently in use.`);
    }
    this.all(scope).delete(own.NetworkInterfaceId!);
  }

  AttachNetworkInterface(input: AttachNetworkInterfaceRequest, ctx: CallContext): AttachNetworkInterfaceResult {
    const scope = scopeOf(ctx);
    const { own } = this.locate(scope, input.NetworkInterfaceId);
    checkIdShape(input.InstanceId, KINDS.instance);
    const instance = this.deps.liveInstance(scope, input.InstanceId);
    if (!instance) throw Ec2Errors.notFound(KINDS.instance.notFoundCode, KINDS.instance.noun, [input.InstanceId]);
    if (!own || own.Attachment?.InstanceId || own.RequesterManaged) {
      throw Ec2Errors.custom("InvalidNetworkInterface.InUse", `Interface: [${input.NetworkInterfaceId}] in use.`);
    }
    const stateName = instance.State?.Name;
    if (stateName !== "running" && stateName !== "stopped") {
      throw Ec2Errors.incorrectInstanceState(`The instance '${instance.InstanceId}' is not in a valid state for this operation.`);
    }
    if (own.AvailabilityZone !== instance.Placement?.AvailabilityZone) {
      throw Ec2Errors.invalidParameterCombination(`You may not attach a network interface to an instance if they are not in the same availability zone`);
    }
    if (own.VpcId !== instance.VpcId) throw Ec2Errors.invalidParameterCombination("The network interface and the instance must be in the same VPC.");
    const index = input.DeviceIndex;
    if (!Number.isInteger(index) || index < 0) throw Ec2Errors.invalidValueFor(index, "DeviceIndex");
    const attached = this.all(scope)
      .values()
      .filter((n) => n.Attachment?.InstanceId === instance.InstanceId);
    if (index === 0 || attached.some((n) => n.Attachment?.DeviceIndex === index)) {
      throw Ec2Errors.invalidParameterValue(`Instance '${instance.InstanceId}' already has an interface attached at device index '${index}'.`);
    }
    const limit = instanceType(instance.InstanceType!)?.NetworkInfo?.MaximumNetworkInterfaces ?? 2;
    if (attached.length + 1 >= limit) {
      throw Ec2Errors.custom("AttachmentLimitExceeded", `Interface count ${attached.length + 2} exceeds the limit for ${instance.InstanceType}`);
    }
    const attachmentId = ec2Id("eni-attach");
    this.all(scope).update(own.NetworkInterfaceId!, (n) => {
      n.Status = "in-use";
      n.Attachment = {
        AttachTime: this.cloud.clock.date(),
        AttachmentId: attachmentId,
        DeleteOnTermination: false,
        DeviceIndex: index,
        NetworkCardIndex: input.NetworkCardIndex ?? 0,
        InstanceId: instance.InstanceId,
        InstanceOwnerId: scope.account,
        Status: "attached",
      };
    });
    return { AttachmentId: attachmentId, NetworkCardIndex: input.NetworkCardIndex ?? 0 };
  }

  DetachNetworkInterface(input: DetachNetworkInterfaceRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    if (!input.AttachmentId) throw Ec2Errors.missingParameter("attachmentId");
    checkIdShape(input.AttachmentId, ATTACHMENT_KIND);
    const own = this.all(scope)
      .values()
      .find((n) => n.Attachment?.AttachmentId === input.AttachmentId);
    if (!own) {
      const primary = this.state
        .instances(scope)
        .values()
        .find((i) => i._eni.attachmentId === input.AttachmentId && i.State?.Name !== "terminated");
      if (primary) throw Ec2Errors.operationNotPermitted(`The network interface at device index 0 and networkCard index 0 cannot be detached.`);
      throw Ec2Errors.notFound(ATTACHMENT_KIND.notFoundCode, ATTACHMENT_KIND.noun, [input.AttachmentId]);
    }
    this.detach(scope, own.NetworkInterfaceId!);
  }

  private detach(scope: Scope, id: string): void {
    this.all(scope).update(id, (n) => {
      delete n.Attachment;
      n.Status = "available";
    });
  }

  /** An instance terminated: its interfaces come off, or go with it when DeleteOnTermination says so. */
  instanceTerminated(scope: Scope, instance: InstanceRecord): void {
    for (const eni of this.all(scope).values()) {
      if (eni.Attachment?.InstanceId !== instance.InstanceId) continue;
      if (eni.Attachment?.DeleteOnTermination) this.all(scope).delete(eni.NetworkInterfaceId!);
      else this.detach(scope, eni.NetworkInterfaceId!);
    }
    // A primary interface kept with DeleteOnTermination=false becomes an interface of its own.
    if (instance._eni.deleteOnTermination === false && !this.all(scope).get(instance._eni.id)) {
      const primary = primaryInterfaceView(instance, scope);
      const record: InterfaceRecord = {
        ...primary,
        Association: undefined,
        Attachment: undefined,
        PrivateIpAddresses: primary.PrivateIpAddresses?.map((p) => ({ ...p, Association: undefined })),
        Status: "available",
        _createdAt: instance._createdAt,
      };
      this.all(scope).put(record.NetworkInterfaceId!, record);
    }
  }

  DescribeNetworkInterfaceAttribute(input: DescribeNetworkInterfaceAttributeRequest, ctx: CallContext): DescribeNetworkInterfaceAttributeResult {
    const scope = scopeOf(ctx);
    const { own, instance } = this.locate(scope, input.NetworkInterfaceId);
    const eni = own ? view(own) : primaryInterfaceView(instance!, scope);
    const out: DescribeNetworkInterfaceAttributeResult = { NetworkInterfaceId: eni.NetworkInterfaceId };
    switch (input.Attribute) {
      case "description":
        out.Description = { Value: eni.Description };
        break;
      case "groupSet":
        out.Groups = eni.Groups;
        break;
      case "sourceDestCheck":
        out.SourceDestCheck = { Value: eni.SourceDestCheck };
        break;
      case "attachment":
        out.Attachment = eni.Attachment;
        break;
      case "associatePublicIpAddress":
        out.AssociatePublicIpAddress = Boolean(eni.Association);
        break;
      case undefined:
        throw Ec2Errors.missingParameter("attribute");
      default:
        throw Ec2Errors.invalidParameterValue(`Value (${String(input.Attribute)}) for parameter attribute is invalid. Unknown attribute.`);
    }
    return out;
  }

  ModifyNetworkInterfaceAttribute(input: ModifyNetworkInterfaceAttributeRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const { own, instance } = this.locate(scope, input.NetworkInterfaceId);
    const vpcId = own?.VpcId ?? instance!.VpcId!;
    const groups = input.Groups?.length
      ? this.deps.groups.resolveForLaunch(scope, vpcId, input.Groups, []).map((g) => ({ GroupId: g.GroupId, GroupName: g.GroupName }))
      : undefined;
    if (groups && groups.length > 5) throw Ec2Errors.custom("SecurityGroupsPerInterfaceLimitExceeded", "The maximum number of security groups per interface has been reached.");
    const attachment = input.Attachment;
    if (attachment) {
      const current = own?.Attachment?.AttachmentId ?? instance?._eni.attachmentId;
      if (!attachment.AttachmentId) throw Ec2Errors.missingParameter("attachmentId");
      if (attachment.AttachmentId !== current) throw Ec2Errors.notFound(ATTACHMENT_KIND.notFoundCode, ATTACHMENT_KIND.noun, [attachment.AttachmentId]);
    }
    const description = input.Description?.Value;
    const sourceDestCheck = input.SourceDestCheck?.Value;
    if (!groups && description === undefined && sourceDestCheck === undefined && attachment?.DeleteOnTermination === undefined) {
      throw Ec2Errors.missingParameter("attribute");
    }
    if (own) {
      this.all(scope).update(own.NetworkInterfaceId!, (n) => {
        if (groups) n.Groups = groups;
        if (description !== undefined) n.Description = description;
        if (sourceDestCheck !== undefined) n.SourceDestCheck = sourceDestCheck;
        if (attachment?.DeleteOnTermination !== undefined && n.Attachment) n.Attachment.DeleteOnTermination = attachment.DeleteOnTermination;
      });
      return;
    }
    // The primary interface: its groups and source/dest check are the instance's.
    this.deps.updateInstance(scope, instance!.InstanceId!, (r) => {
      if (groups) r.SecurityGroups = groups;
      if (description !== undefined) r._eni = { ...r._eni, description };
      if (sourceDestCheck !== undefined) r.SourceDestCheck = sourceDestCheck;
      if (attachment?.DeleteOnTermination !== undefined) r._eni = { ...r._eni, deleteOnTermination: attachment.DeleteOnTermination };
    });
  }
}

function view(record: InterfaceRecord): NetworkInterface {
  const { _createdAt, ...rest } = record as InterfaceRecord & { _clientToken?: string };
  delete (rest as { _clientToken?: string })._clientToken;
  return rest;
}

/**
 * Every interface (its own records and instances' primary ones) seen through
 * `Tags`, what the tag operations use, instead of `TagSet`.
 */
function taggedView(state: Ec2State, scope: Scope): ScopedCollection<{ Tags?: Tag[] }> {
  const own = interfaces(state, scope);
  const primaryOf = (id: string) =>
    state
      .instances(scope)
      .values()
      .find((i) => i._eni?.id === id && i.State?.Name !== "terminated");
  return {
    get: (id: string) => {
      const record = own.get(id);
      if (record) return { Tags: record.TagSet };
      const instance = primaryOf(id);
      return instance ? { Tags: instance._eni.tags ?? [] } : undefined;
    },
    ids: () => [
      ...own.ids(),
      ...state
        .instances(scope)
        .values()
        .filter((i) => i.State?.Name !== "terminated" && i._eni)
        .map((i) => i._eni.id),
    ],
    update: (id: string, change: (doc: { Tags?: Tag[] }) => void) => {
      if (own.get(id)) {
        return own.update(id, (n) => {
          const doc = { Tags: n.TagSet ?? [] };
          change(doc);
          n.TagSet = doc.Tags;
        });
      }
      const instance = primaryOf(id);
      return instance
        ? state.instances(scope).update(instance.InstanceId!, (r) => {
            const doc = { Tags: r._eni.tags ?? [] };
            change(doc);
            r._eni = { ...r._eni, tags: doc.Tags };
          })
        : undefined;
    },
  } as unknown as ScopedCollection<{ Tags?: Tag[] }>;
}
