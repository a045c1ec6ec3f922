/**
 * Elastic IP addresses: allocate, describe, associate with an instance (its
 * public address becomes the Elastic IP and survives stop/start),
 * disassociate, release.
 */
import type { Cloud } from "../../../cloud.js";
import { ec2Id } from "../../../core/ids.js";
import type {
  Address,
  AllocateAddressRequest,
  AllocateAddressResult,
  AssociateAddressRequest,
  AssociateAddressResult,
  DescribeAddressesRequest,
  DescribeAddressesResult,
  DisassociateAddressRequest,
  ReleaseAddressRequest,
} from "../../../generated/ec2.js";
import type { Scope, ScopedCollection } from "../../../state/documents.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters, tagsOf } from "../filters.js";
import { KINDS, checkIdShape } from "../lookup.js";
import { scopeOf } from "../network/module.js";
import { allocatePublicIp } from "../network/public-ips.js";
import type { Ec2State, InstanceRecord } from "../state.js";
import { tagsFor } from "../tags.js";
import { chargeElasticIp, type MeteredAddress } from "./billing.js";

export const MAX_ADDRESSES = 5;
const BILLING_JOB = "ec2:addresses:billing";
const HOUR = 3_600_000;

/** What the address side needs from the instance side. */
export interface AddressHolders {
  /** The instance, if it exists and is not terminated. */
  live(scope: Scope, instanceId: string): InstanceRecord | undefined;
  /** The Elastic IP on an instance changed (undefined: none any more). */
  elasticIpChanged(scope: Scope, instanceId: string, address: { publicIp: string; allocationId: string; associationId: string } | undefined): void;
  /** Every public address held by an instance (auto-assigned ones), so that none is handed out twice. */
  publicAddressesInUse(scope: Scope): Set<string>;
}

export class AddressesModule {
  private holders: AddressHolders | undefined;

  constructor(
    readonly cloud: Cloud,
    private readonly state: Ec2State,
  ) {
    state.registerTaggable({
      prefix: "eipalloc",
      resourceType: "elastic-ip",
      collection: (scope) => this.addresses(scope),
      notFound: { code: KINDS.allocation.notFoundCode, noun: KINDS.allocation.noun },
    });
  }

  bindHolders(holders: AddressHolders): void {
    this.holders = holders;
  }

  onStart(): void {
    this.cloud.scheduler.on(BILLING_JOB, (job) => this.billHour(job.due));
    this.ensureBilling();
  }

  /** Elastic IPs are charged every hour of the clock while any is allocated. */
  private ensureBilling(): void {
    if (this.cloud.scheduler.get(BILLING_JOB) || !this.anyAllocated()) return;
    this.cloud.scheduler.schedule({ kind: BILLING_JOB, key: BILLING_JOB, due: (Math.floor(this.cloud.clock.now() / HOUR) + 1) * HOUR });
  }

  private anyAllocated(): boolean {
    return this.cloud.documents.collection("ec2", "addresses").scopes().some((scope) => this.addresses(scope).size > 0);
  }

  private billHour(end: number): void {
    for (const scope of this.cloud.documents.collection("ec2", "addresses").scopes()) {
      for (const address of this.addresses(scope).values()) this.meter(scope, address, end);
    }
    if (this.anyAllocated()) this.cloud.scheduler.schedule({ kind: BILLING_JOB, key: BILLING_JOB, due: end + HOUR });
  }

  /** Charges an Elastic IP up to `until` (now) in its current state: before its association changes, at release, hourly. */
  private meter(scope: Scope, stale: Address, until = this.cloud.clock.now()): void {
    const address = this.addresses(scope).get(stale.AllocationId!);
    if (!address) return;
    const instance = address.InstanceId ? this.holders?.live(scope, address.InstanceId) : undefined;
    const inUse = instance ? instance.State?.Name === "running" : address.NetworkInterfaceId !== undefined;
    const mark = chargeElasticIp(this.cloud, scope, address as MeteredAddress, until, inUse);
    this.addresses(scope).update(address.AllocationId!, (a) => void ((a as MeteredAddress)._billedTo = mark));
  }

  addresses(scope: Scope): ScopedCollection<Address> {
    return this.state.collection<Address>("addresses", scope);
  }

  /** Public addresses held as Elastic IPs in a scope. */
  elasticIps(scope: Scope): Set<string> {
    return new Set(this.addresses(scope).values().map((a) => a.PublicIp!));
  }

  /** The instance was terminated: its Elastic IP is disassociated (and stays allocated). */
  instanceTerminated(scope: Scope, instanceId: string): void {
    for (const address of this.addresses(scope).values()) {
      if (address.InstanceId !== instanceId) continue;
      this.meter(scope, address);
      this.addresses(scope).update(address.AllocationId!, clearAssociation);
    }
  }

  AllocateAddress(input: AllocateAddressRequest, ctx: CallContext): AllocateAddressResult {
    const scope = scopeOf(ctx);
    const tags = tagsFor(input.TagSpecifications, "elastic-ip");
    if (input.Domain && input.Domain !== "vpc" && input.Domain !== "standard") throw Ec2Errors.invalidValueFor(input.Domain, "Domain");
    if (input.NetworkBorderGroup && input.NetworkBorderGroup !== scope.region) {
      throw Ec2Errors.invalidParameterValue(`Invalid value '${input.NetworkBorderGroup}' for NetworkBorderGroup.`);
    }
    const addresses = this.addresses(scope);
    if (addresses.size >= MAX_ADDRESSES) throw Ec2Errors.addressLimitExceeded();
    if (input.Address) {
      throw Ec2Errors.custom("InvalidAddress.NotFound", `Address ${input.Address} not found.`);
    }
    const inUse = new Set([...this.elasticIps(scope), ...(this.holders?.publicAddressesInUse(scope) ?? [])]);
    const record: MeteredAddress = {
      _allocatedAt: this.cloud.clock.now(),
      AllocationId: ec2Id("eipalloc"),
      PublicIp: allocatePublicIp(scope.region, inUse),
      Domain: "vpc",
      PublicIpv4Pool: "amazon",
      NetworkBorderGroup: scope.region,
      Tags: tags,
    };
    addresses.put(record.AllocationId!, record);
    this.ensureBilling();
    return {
      AllocationId: record.AllocationId,
      PublicIp: record.PublicIp,
      Domain: "vpc",
      PublicIpv4Pool: "amazon",
      NetworkBorderGroup: scope.region,
    };
  }

  DescribeAddresses(input: DescribeAddressesRequest, ctx: CallContext): DescribeAddressesResult {
    const scope = scopeOf(ctx);
    let all = this.addresses(scope).values();
    if (input.AllocationIds?.length) {
      const missing: string[] = [];
      for (const id of input.AllocationIds) {
        checkIdShape(id, { ...KINDS.allocation, malformedCode: "InvalidAllocationID.Malformed" });
        if (!this.addresses(scope).has(id)) missing.push(id);
      }
      if (missing.length) throw Ec2Errors.notFound(KINDS.allocation.notFoundCode, KINDS.allocation.noun, missing);
      all = all.filter((a) => input.AllocationIds!.includes(a.AllocationId!));
    }
    if (input.PublicIps?.length) {
      const missing = input.PublicIps.filter((ip) => !all.some((a) => a.PublicIp === ip));
      if (missing.length) throw Ec2Errors.custom("InvalidAddress.NotFound", `Address '${missing[0]}' not found.`);
      all = all.filter((a) => input.PublicIps!.includes(a.PublicIp!));
    }
    const predicate = compileFilters<Address>(input.Filters, {
      fields: {
        "allocation-id": (a) => a.AllocationId,
        "association-id": (a) => a.AssociationId,
        domain: (a) => a.Domain,
        "instance-id": (a) => a.InstanceId,
        "network-border-group": (a) => a.NetworkBorderGroup,
        "network-interface-id": (a) => a.NetworkInterfaceId,
        "network-interface-owner-id": (a) => a.NetworkInterfaceOwnerId,
        "private-ip-address": (a) => a.PrivateIpAddress,
        "public-ip": (a) => a.PublicIp,
        "public-ipv4-pool": (a) => a.PublicIpv4Pool,
      },
      tags: tagsOf,
    });
    return { Addresses: all.filter(predicate).map((a) => ({ ...a, Tags: a.Tags?.length ? a.Tags : undefined })) };
  }

  AssociateAddress(input: AssociateAddressRequest, ctx: CallContext): AssociateAddressResult {
    const scope = scopeOf(ctx);
    const address = this.find(scope, input.AllocationId, input.PublicIp);
    if (!input.InstanceId && !input.NetworkInterfaceId) throw Ec2Errors.missingParameter("instanceId");
    if (input.InstanceId && input.NetworkInterfaceId) {
      throw Ec2Errors.invalidParameterCombination("You may specify either an instance or a network interface, not both.");
    }
    let instanceId = input.InstanceId;
    if (!instanceId) {
      // A network interface: an instance's primary one (interfaces of their own take no Elastic IP in Stratus).
      const eniId = input.NetworkInterfaceId!;
      checkIdShape(eniId, { prefix: "eni", notFoundCode: "InvalidNetworkInterfaceID.NotFound", noun: "networkInterface" });
      const owner = this.state
        .instances(scope)
        .values()
        .find((i) => i._eni?.id === eniId && i.State?.Name !== "terminated");
      if (!owner) {
        if (this.state.collection("network-interfaces", scope).get(eniId)) {
          throw Ec2Errors.unsupportedOperation("Elastic IPs on network interfaces other than an instance's primary one are not supported by Stratus yet.");
        }
        throw Ec2Errors.custom("InvalidNetworkInterfaceID.NotFound", `The networkInterface ID '${eniId}' does not exist`);
      }
      instanceId = owner.InstanceId!;
    }
    checkIdShape(instanceId, KINDS.instance);
    const instance = this.holders?.live(scope, instanceId);
    if (!instance) throw Ec2Errors.notFound(KINDS.instance.notFoundCode, KINDS.instance.noun, [instanceId]);
    const stateName = instance.State?.Name;
    if (stateName !== "running" && stateName !== "stopped") {
      throw Ec2Errors.incorrectInstanceState(`The pending-instance-creation instance to which '${instanceId}' is attached is not in a valid state for this operation`);
    }
    if (input.PrivateIpAddress && input.PrivateIpAddress !== instance.PrivateIpAddress) {
      throw Ec2Errors.invalidParameterValue(`The specified private IP address ${input.PrivateIpAddress} is not assigned to the network interface of instance ${instanceId}.`);
    }
    if (address.AssociationId) {
      if (address.InstanceId === instance.InstanceId) return { AssociationId: address.AssociationId };
      if (input.AllowReassociation === false || (input.AllowReassociation === undefined && address.InstanceId)) {
        throw Ec2Errors.custom("Resource.AlreadyAssociated", `resource ${address.AllocationId} is already associated with associate-id ${address.AssociationId}`);
      }
      this.disassociate(scope, address);
    }
    // An instance has one primary address: an Elastic IP already on it moves off.
    for (const other of this.addresses(scope).values()) {
      if (other.InstanceId === instance.InstanceId && other.AllocationId !== address.AllocationId) this.disassociate(scope, other, false);
    }
    const associationId = ec2Id("eipassoc");
    const networkInterfaceId = instance._eni?.id;
    this.meter(scope, address);
    this.addresses(scope).update(address.AllocationId!, (a) => {
      a.AssociationId = associationId;
      a.InstanceId = instance.InstanceId;
      a.NetworkInterfaceId = networkInterfaceId;
      a.NetworkInterfaceOwnerId = scope.account;
      a.PrivateIpAddress = instance.PrivateIpAddress;
      a.SubnetId = instance.SubnetId;
    });
    this.holders?.elasticIpChanged(scope, instance.InstanceId!, { publicIp: address.PublicIp!, allocationId: address.AllocationId!, associationId });
    return { AssociationId: associationId };
  }

  DisassociateAddress(input: DisassociateAddressRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    let address: Address | undefined;
    if (input.AssociationId) {
      checkIdShape(input.AssociationId, { ...KINDS.association, malformedCode: "InvalidAssociationID.Malformed" });
      address = this.addresses(scope).values().find((a) => a.AssociationId === input.AssociationId);
      if (!address) throw Ec2Errors.notFound(KINDS.association.notFoundCode, KINDS.association.noun, [input.AssociationId]);
    } else if (input.PublicIp) {
      address = this.addresses(scope).values().find((a) => a.PublicIp === input.PublicIp);
      if (!address) throw Ec2Errors.custom("InvalidAddress.NotFound", `Address '${input.PublicIp}' not found.`);
      if (!address.AssociationId) return;
    } else throw Ec2Errors.missingParameter("associationId");
    this.disassociate(scope, address);
  }

  ReleaseAddress(input: ReleaseAddressRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const address = this.find(scope, input.AllocationId, input.PublicIp);
    if (address.AssociationId) throw Ec2Errors.custom("InvalidIPAddress.InUse", `Address ${address.PublicIp} is in use.`);
    this.meter(scope, address);
    this.addresses(scope).delete(address.AllocationId!);
  }

  private find(scope: Scope, allocationId: string | undefined, publicIp: string | undefined): Address {
    if (allocationId) {
      checkIdShape(allocationId, { ...KINDS.allocation, malformedCode: "InvalidAllocationID.Malformed" });
      const address = this.addresses(scope).get(allocationId);
      if (!address) throw Ec2Errors.notFound(KINDS.allocation.notFoundCode, KINDS.allocation.noun, [allocationId]);
      return address;
    }
    if (publicIp) {
      const address = this.addresses(scope).values().find((a) => a.PublicIp === publicIp);
      if (!address) throw Ec2Errors.custom("InvalidAddress.NotFound", `Address '${publicIp}' not found.`);
      return address;
    }
    throw Ec2Errors.missingParameter("allocationId");
  }

  private disassociate(scope: Scope, address: Address, notify = true): void {
    const instanceId = address.InstanceId;
    this.meter(scope, address);
    this.addresses(scope).update(address.AllocationId!, clearAssociation);
    if (instanceId && notify) this.holders?.elasticIpChanged(scope, instanceId, undefined);
  }
}

function clearAssociation(address: Address): void {
  delete address.AssociationId;
  delete address.InstanceId;
  delete address.NetworkInterfaceId;
  delete address.NetworkInterfaceOwnerId;
  delete address.PrivateIpAddress;
  delete address.SubnetId;
}
