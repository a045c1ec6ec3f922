/**
 * NAT gateways: a public one holds an Elastic IP on a network interface AWS
 * manages in its subnet and needs its VPC's internet gateway (without one it
 * fails, as in EC2); a private one only has the interface. pending →
 * available after a minute of the clock; deleting → deleted after another,
 * then visible for an hour. Routes may point at them. No traffic flows (the
 * mock driver runs no network).
 */
import type { Cloud } from "../../../cloud.js";
import type { Job } from "../../../clock/scheduler.js";
import { ec2Id } from "../../../core/ids.js";
import type {
  Address,
  CreateNatGatewayRequest,
  CreateNatGatewayResult,
  DeleteNatGatewayRequest,
  DeleteNatGatewayResult,
  DescribeNatGatewaysRequest,
  DescribeNatGatewaysResult,
  NatGateway,
} from "../../../generated/ec2.js";
import type { Scope, ScopedCollection } from "../../../state/documents.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters, tagsOf } from "../filters.js";
import { KINDS, checkIdShape, requireId } from "../lookup.js";
import { paginate } from "../pagination.js";
import type { Ec2State } from "../state.js";
import { omitEmptyTags, tagsFor } from "../tags.js";
import { createManagedInterface, interfaces } from "./interfaces.js";
import type { NetworkModule } from "./module.js";
import { scopeOf } from "./module.js";

const JOB = "ec2.natgateway.transition";
const PENDING_MS = 60_000;
const DELETING_MS = 60_000;
const VISIBLE_AFTER_DELETE_MS = 3_600_000;
const NAT_KIND = { prefix: "nat", notFoundCode: "NatGatewayNotFound", noun: "NAT gateway", malformedCode: "NatGatewayMalformed" };

type NatRecord = NatGateway & { _clientToken?: string; _hideAfter?: number };

export class NatGatewaysModule {
  constructor(
    readonly cloud: Cloud,
    private readonly state: Ec2State,
    private readonly network: NetworkModule,
  ) {
    state.registerTaggable({
      prefix: "nat",
      resourceType: "natgateway",
      collection: (scope) => this.gateways(scope),
      notFound: { code: NAT_KIND.notFoundCode, noun: NAT_KIND.noun },
      visible: (record, now) => isVisible(record as NatRecord, now),
    });
  }

  onStart(): void {
    this.cloud.scheduler.on(JOB, (job: Job<{ id: string; to: "available" | "deleted" | "gone" }>) => {
      const scope = { account: job.account, region: job.region };
      const record = this.gateways(scope).get(job.payload.id);
      if (!record) return;
      if (job.payload.to === "available" && record.State === "pending") {
        this.gateways(scope).update(record.NatGatewayId!, (g) => {
          g.State = "available";
          for (const a of g.NatGatewayAddresses ?? []) if (a.Status === "associating") a.Status = "succeeded";
        });
      } else if (job.payload.to === "deleted" && record.State === "deleting") {
        this.release(scope, record);
        this.gateways(scope).update(record.NatGatewayId!, (g) => {
          g.State = "deleted";
          g.DeleteTime = this.cloud.clock.date();
          for (const a of g.NatGatewayAddresses ?? []) a.Status = "succeeded";
          g._hideAfter = this.cloud.clock.now() + VISIBLE_AFTER_DELETE_MS;
        });
        this.schedule(scope, record.NatGatewayId!, "gone", VISIBLE_AFTER_DELETE_MS);
      } else if (job.payload.to === "gone" && (record.State === "deleted" || record.State === "failed")) {
        this.gateways(scope).delete(record.NatGatewayId!);
      }
    });
  }

  gateways(scope: Scope): ScopedCollection<NatRecord> {
    return this.state.collection<NatRecord>("nat-gateways", scope);
  }

  private addresses(scope: Scope): ScopedCollection<Address> {
    return this.state.collection<Address>("addresses", scope);
  }

  private schedule(scope: Scope, id: string, to: "available" | "deleted" | "gone", inMs: number): void {
    this.cloud.scheduler.schedule({
      kind: JOB,
      due: this.cloud.clock.now() + inMs,
      key: `ec2/nat/${scope.account}/${scope.region}/${id}`,
      account: scope.account,
      region: scope.region,
      payload: { id, to },
    });
  }

  /** The gateway's interface and Elastic IP come off (deleted, or failed). */
  private release(scope: Scope, record: NatRecord): void {
    for (const address of record.NatGatewayAddresses ?? []) {
      if (address.NetworkInterfaceId) interfaces(this.state, scope).delete(address.NetworkInterfaceId);
      if (address.AllocationId) {
        this.addresses(scope).update(address.AllocationId, (a) => {
          if (a.NetworkInterfaceId !== address.NetworkInterfaceId) return;
          delete a.AssociationId;
          delete a.NetworkInterfaceId;
          delete a.NetworkInterfaceOwnerId;
          delete a.PrivateIpAddress;
        });
      }
    }
  }

  CreateNatGateway(input: CreateNatGatewayRequest, ctx: CallContext): CreateNatGatewayResult {
    const scope = scopeOf(ctx);
    const tags = tagsFor(input.TagSpecifications, "natgateway");
    if (input.ClientToken) {
      const earlier = this.gateways(scope)
        .values()
        .find((g) => g._clientToken === input.ClientToken);
      if (earlier) return { NatGateway: view(earlier), ClientToken: input.ClientToken };
    }
    if (!input.SubnetId) throw Ec2Errors.missingParameter("subnetId");
    const subnet = requireId(this.network.subnets(scope), input.SubnetId, KINDS.subnet);
    const connectivity = input.ConnectivityType ?? "public";
    if (connectivity !== "public" && connectivity !== "private") throw Ec2Errors.invalidValueFor(connectivity, "ConnectivityType");
    let address: Address | undefined;
    if (connectivity === "public") {
      if (!input.AllocationId) throw Ec2Errors.missingParameter("allocationId");
      checkIdShape(input.AllocationId, { ...KINDS.allocation, malformedCode: "InvalidAllocationID.Malformed" });
      address = this.addresses(scope).get(input.AllocationId);
      if (!address) throw Ec2Errors.notFound(KINDS.allocation.notFoundCode, KINDS.allocation.noun, [input.AllocationId]);
      if (address.AssociationId || address.NetworkInterfaceId) {
        throw Ec2Errors.custom("Resource.AlreadyAssociated", `Elastic IP address [${address.AllocationId}] is already associated`);
      }
    } else if (input.AllocationId) {
      throw Ec2Errors.invalidParameterCombination("Elastic IP addresses can't be associated with private NAT gateways.");
    }
    const id = ec2Id("nat");
    const now = this.cloud.clock.now();
    const eni = createManagedInterface(this.state, scope, subnet, {
      description: `Interface for NAT Gateway ${id}`,
      // EC2 reports "nat_gateway" (the filter's documented value), not the model enum's spelling.
      interfaceType: "nat_gateway" as never,
      requesterId: "AWS",
      privateIp: input.PrivateIpAddress,
      createdAt: now,
    });
    const associationId = address ? ec2Id("eipassoc") : undefined;
    if (address) {
      this.addresses(scope).update(address.AllocationId!, (a) => {
        a.AssociationId = associationId;
        a.NetworkInterfaceId = eni.NetworkInterfaceId;
        a.NetworkInterfaceOwnerId = scope.account;
        a.PrivateIpAddress = eni.PrivateIpAddress;
      });
      interfaces(this.state, scope).update(eni.NetworkInterfaceId!, (n) => {
        n.Association = { AllocationId: address!.AllocationId, AssociationId: associationId, IpOwnerId: scope.account, PublicIp: address!.PublicIp, PublicDnsName: "" };
        n.PrivateIpAddresses = n.PrivateIpAddresses!.map((p) => ({ ...p, Association: n.Association }));
      });
    }
    // A public gateway needs the VPC's internet gateway; without one EC2 lets it fail.
    const gatewayAttached = this.network
      .internetGateways(scope)
      .values()
      .some((g) => g.Attachments?.some((a) => a.VpcId === subnet.VpcId));
    const fails = connectivity === "public" && !gatewayAttached;
    const record: NatRecord = {
      NatGatewayId: id,
      SubnetId: subnet.SubnetId,
      VpcId: subnet.VpcId,
      State: "pending",
      ConnectivityType: connectivity,
      CreateTime: new Date(now),
      NatGatewayAddresses: [
        {
          AllocationId: address?.AllocationId,
          AssociationId: associationId,
          NetworkInterfaceId: eni.NetworkInterfaceId,
          PrivateIp: eni.PrivateIpAddress,
          PublicIp: address?.PublicIp,
          IsPrimary: true,
          Status: "associating",
        },
      ],
      Tags: tags,
      _clientToken: input.ClientToken,
    };
    this.gateways(scope).put(id, record);
    if (fails) {
      this.release(scope, record);
      this.gateways(scope).update(id, (g) => {
        g.State = "failed";
        g.FailureCode = "Gateway.NotAttached";
        g.FailureMessage = `Network ${subnet.VpcId} has no Internet gateway attached`;
        g._hideAfter = now + VISIBLE_AFTER_DELETE_MS;
      });
      this.schedule(scope, id, "gone", VISIBLE_AFTER_DELETE_MS);
      // The creating call still answers pending; the failure shows in Describe.
      return { NatGateway: view(record), ClientToken: input.ClientToken };
    }
    this.schedule(scope, id, "available", PENDING_MS);
    return { NatGateway: view(record), ClientToken: input.ClientToken };
  }

  DescribeNatGateways(input: DescribeNatGatewaysRequest, ctx: CallContext): DescribeNatGatewaysResult {
    const scope = scopeOf(ctx);
    const now = this.cloud.clock.now();
    const idsGiven = Boolean(input.NatGatewayIds?.length);
    let all = this.gateways(scope)
      .values()
      .filter((g) => isVisible(g, now));
    if (idsGiven) {
      for (const id of input.NatGatewayIds!) checkIdShape(id, NAT_KIND);
      const missing = input.NatGatewayIds!.filter((id) => !all.some((g) => g.NatGatewayId === id));
      if (missing.length) throw Ec2Errors.custom("NatGatewayNotFound", `The Nat Gateway ${missing[0]} was not found`);
      all = all.filter((g) => input.NatGatewayIds!.includes(g.NatGatewayId!));
    }
    const predicate = compileFilters<NatGateway>(input.Filter, {
      fields: {
        "nat-gateway-id": (g) => g.NatGatewayId,
        state: (g) => g.State,
        "subnet-id": (g) => g.SubnetId,
        "vpc-id": (g) => g.VpcId,
      },
      tags: tagsOf,
    });
    const page = paginate(all.filter(predicate), input, { min: 5, max: 1000, idsParameter: "NatGatewayIds" }, (g) => g.NatGatewayId!, idsGiven);
    return { NatGateways: page.items.map(view), NextToken: page.nextToken };
  }

  DeleteNatGateway(input: DeleteNatGatewayRequest, ctx: CallContext): DeleteNatGatewayResult {
    const scope = scopeOf(ctx);
    checkIdShape(input.NatGatewayId, NAT_KIND);
    const record = this.gateways(scope).get(input.NatGatewayId);
    if (!record || !isVisible(record, this.cloud.clock.now())) {
      throw Ec2Errors.custom("NatGatewayNotFound", `The Nat Gateway ${input.NatGatewayId} was not found`);
    }
    if (record.State === "pending" || record.State === "available") {
      this.gateways(scope).update(record.NatGatewayId!, (g) => {
        g.State = "deleting";
        for (const a of g.NatGatewayAddresses ?? []) a.Status = "disassociating";
      });
      this.schedule(scope, record.NatGatewayId!, "deleted", DELETING_MS);
    }
    return { NatGatewayId: record.NatGatewayId };
  }

  /** A NAT gateway a route may target: visible, not deleted or failed, in the VPC. */
  routable(scope: Scope, id: string): NatGateway | undefined {
    const record = this.gateways(scope).get(id);
    return record && (record.State === "pending" || record.State === "available") ? record : undefined;
  }
}

function isVisible(record: NatRecord, now: number): boolean {
  return record._hideAfter === undefined || now < record._hideAfter;
}

function view(record: NatRecord): NatGateway {
  const { _clientToken, _hideAfter, ...rest } = record;
  return omitEmptyTags(rest);
}
