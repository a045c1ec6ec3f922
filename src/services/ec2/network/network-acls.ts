/**
 * Network ACLs: each VPC's default ACL (all traffic allowed in and out,
 * rule 100, over the catch-all deny), ACLs of your own (only the deny until
 * you add entries), entries, and subnet associations. A subnet belongs to
 * exactly one ACL: its VPC's default one until ReplaceNetworkAclAssociation
 * moves it. Default ACLs are made on first use for every VPC (and dropped with
 * their VPC). Entries are kept, not enforced (the mock driver runs no network).
 */
import type { Cloud } from "../../../cloud.js";
import { ec2Id } from "../../../core/ids.js";
import type {
  CreateNetworkAclEntryRequest,
  CreateNetworkAclRequest,
  CreateNetworkAclResult,
  DeleteNetworkAclEntryRequest,
  DeleteNetworkAclRequest,
  DescribeNetworkAclsRequest,
  DescribeNetworkAclsResult,
  NetworkAcl,
  NetworkAclAssociation,
  NetworkAclEntry,
  ReplaceNetworkAclAssociationRequest,
  ReplaceNetworkAclAssociationResult,
  ReplaceNetworkAclEntryRequest,
} from "../../../generated/ec2.js";
import type { Scope, ScopedCollection } from "../../../state/documents.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters, tagsOf } from "../filters.js";
import { requireId, requireIds, checkIdShape, KINDS, type IdKind } from "../lookup.js";
import { paginate } from "../pagination.js";
import type { Ec2State } from "../state.js";
import { omitEmptyTags, tagsFor } from "../tags.js";
import { cidrText, parseCidr4 } from "./cidr.js";
import type { NetworkModule } from "./module.js";
import { scopeOf } from "./module.js";

const ACL_KIND: IdKind = { prefix: "acl", notFoundCode: "InvalidNetworkAclID.NotFound", noun: "networkAcl" };
const ASSOC_KIND: IdKind = { prefix: "aclassoc", notFoundCode: "InvalidAssociationID.NotFound", noun: "association" };
const MAX_RULE = 32766;
const PROTOCOLS: Record<string, string> = { all: "-1", tcp: "6", udp: "17", icmp: "1", icmpv6: "58" };

/** A stored ACL: explicit subnet associations in `_subnets` (subnet id → association id). */
type AclRecord = Omit<NetworkAcl, "Associations"> & { _subnets: Record<string, string> };

function catchAll(): NetworkAclEntry[] {
  return [
    { RuleNumber: 32767, Protocol: "-1", RuleAction: "deny", Egress: true, CidrBlock: "0.0.0.0/0" },
    { RuleNumber: 32767, Protocol: "-1", RuleAction: "deny", Egress: false, CidrBlock: "0.0.0.0/0" },
  ];
}

export class NetworkAclsModule {
  constructor(
    readonly cloud: Cloud,
    private readonly state: Ec2State,
    private readonly network: NetworkModule,
  ) {
    state.registerTaggable({
      prefix: "acl",
      resourceType: "network-acl",
      collection: (scope) => this.acls(scope) as never,
      notFound: { code: ACL_KIND.notFoundCode, noun: ACL_KIND.noun },
    });
  }

  /** ACLs of the scope, with a default one for every VPC (made here on first use). */
  private acls(scope: Scope): ScopedCollection<AclRecord> {
    const acls = this.state.collection<AclRecord>("network-acls", scope);
    const vpcs = this.network.vpcs(scope);
    const all = acls.values();
    for (const acl of all) if (!vpcs.get(acl.VpcId!)) acls.delete(acl.NetworkAclId!);
    for (const vpc of vpcs.values()) {
      if (all.some((a) => a.VpcId === vpc.VpcId && a.IsDefault)) continue;
      const id = ec2Id("acl");
      acls.put(id, {
        NetworkAclId: id,
        VpcId: vpc.VpcId,
        OwnerId: scope.account,
        IsDefault: true,
        Entries: [
          { RuleNumber: 100, Protocol: "-1", RuleAction: "allow", Egress: true, CidrBlock: "0.0.0.0/0" },
          { RuleNumber: 100, Protocol: "-1", RuleAction: "allow", Egress: false, CidrBlock: "0.0.0.0/0" },
          ...catchAll(),
        ],
        Tags: [],
        _subnets: {},
      });
    }
    return acls;
  }

  /** Every ACL as the API shows it, each subnet associated with exactly one. */
  private views(scope: Scope, records: AclRecord[]): NetworkAcl[] {
    const all = this.acls(scope).values();
    const explicit = new Set(all.flatMap((a) => Object.keys(a._subnets)));
    const subnets = this.network.subnets(scope).values();
    return records.map((acl) => {
      const { _subnets, ...rest } = acl;
      const associations: NetworkAclAssociation[] = Object.entries(_subnets)
        .filter(([subnetId]) => subnets.some((s) => s.SubnetId === subnetId))
        .map(([SubnetId, id]) => ({ NetworkAclAssociationId: id, NetworkAclId: acl.NetworkAclId, SubnetId }));
      if (acl.IsDefault) {
        for (const subnet of subnets) {
          if (subnet.VpcId !== acl.VpcId || explicit.has(subnet.SubnetId!)) continue;
          // The implicit association's id is derived from the subnet, so it stays the same between calls.
          associations.push({ NetworkAclAssociationId: `aclassoc-${subnet.SubnetId!.slice(7)}`, NetworkAclId: acl.NetworkAclId, SubnetId: subnet.SubnetId });
        }
      }
      return omitEmptyTags({ ...rest, Associations: associations, Entries: sortEntries(rest.Entries ?? []) });
    });
  }

  DescribeNetworkAcls(input: DescribeNetworkAclsRequest, ctx: CallContext): DescribeNetworkAclsResult {
    const scope = scopeOf(ctx);
    const idsGiven = Boolean(input.NetworkAclIds?.length);
    const records = idsGiven ? requireIds(this.acls(scope), input.NetworkAclIds!, ACL_KIND) : this.acls(scope).values();
    const entries = (a: NetworkAcl) => a.Entries ?? [];
    const predicate = compileFilters<NetworkAcl>(input.Filters, {
      fields: {
        "association.association-id": (a) => a.Associations?.map((x) => x.NetworkAclAssociationId),
        "association.network-acl-id": (a) => a.Associations?.map((x) => x.NetworkAclId),
        "association.subnet-id": (a) => a.Associations?.map((x) => x.SubnetId),
        default: (a) => a.IsDefault,
        "entry.cidr": (a) => entries(a).map((e) => e.CidrBlock),
        "entry.ipv6-cidr": (a) => entries(a).map((e) => e.Ipv6CidrBlock),
        "entry.egress": (a) => entries(a).map((e) => e.Egress),
        "entry.icmp.code": (a) => entries(a).map((e) => e.IcmpTypeCode?.Code),
        "entry.icmp.type": (a) => entries(a).map((e) => e.IcmpTypeCode?.Type),
        "entry.port-range.from": (a) => entries(a).map((e) => e.PortRange?.From),
        "entry.port-range.to": (a) => entries(a).map((e) => e.PortRange?.To),
        "entry.protocol": (a) => entries(a).map((e) => e.Protocol),
        "entry.rule-action": (a) => entries(a).map((e) => e.RuleAction),
        "entry.rule-number": (a) => entries(a).map((e) => e.RuleNumber),
        "network-acl-id": (a) => a.NetworkAclId,
        "owner-id": (a) => a.OwnerId,
        "vpc-id": (a) => a.VpcId,
      },
      tags: tagsOf,
    });
    const page = paginate(this.views(scope, records).filter(predicate), input, { min: 5, max: 1000, idsParameter: "NetworkAclIds" }, (a) => a.NetworkAclId!, idsGiven);
    return { NetworkAcls: page.items, NextToken: page.nextToken };
  }

  CreateNetworkAcl(input: CreateNetworkAclRequest, ctx: CallContext): CreateNetworkAclResult {
    const scope = scopeOf(ctx);
    const tags = tagsFor(input.TagSpecifications, "network-acl");
    const vpc = requireId(this.network.vpcs(scope), input.VpcId, KINDS.vpc);
    const id = ec2Id("acl");
    const record: AclRecord = { NetworkAclId: id, VpcId: vpc.VpcId, OwnerId: scope.account, IsDefault: false, Entries: catchAll(), Tags: tags, _subnets: {} };
    this.acls(scope).put(id, record);
    return { NetworkAcl: this.views(scope, [record])[0], ClientToken: input.ClientToken };
  }

  DeleteNetworkAcl(input: DeleteNetworkAclRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const acl = requireId(this.acls(scope), input.NetworkAclId, ACL_KIND);
    if (acl.IsDefault) throw Ec2Errors.invalidParameterValue(`cannot delete default network ACL ${acl.NetworkAclId}`);
    if (this.views(scope, [acl])[0].Associations!.length) {
      throw Ec2Errors.dependencyViolation(`The networkAcl '${acl.NetworkAclId}' has dependencies and cannot be deleted.`);
    }
    this.acls(scope).delete(acl.NetworkAclId!);
  }

  private entryOf(input: CreateNetworkAclEntryRequest): NetworkAclEntry {
    const rule = input.RuleNumber;
    if (!Number.isInteger(rule) || rule < 1 || rule > MAX_RULE) {
      throw Ec2Errors.invalidParameterValue(`Value (${rule}) for parameter ruleNumber is invalid. Must be between 1 and ${MAX_RULE}.`);
    }
    const protocol = PROTOCOLS[String(input.Protocol).toLowerCase()] ?? String(input.Protocol);
    if (!/^-1$|^\d{1,3}$/.test(protocol) || Number(protocol) > 255) throw Ec2Errors.invalidParameterValue(`Invalid value '${input.Protocol}' for protocol.`);
    if (input.RuleAction !== "allow" && input.RuleAction !== "deny") throw Ec2Errors.invalidValueFor(input.RuleAction, "ruleAction");
    if ((input.CidrBlock === undefined) === (input.Ipv6CidrBlock === undefined)) {
      throw Ec2Errors.missingParameter("cidrBlock or ipv6CidrBlock");
    }
    let cidrBlock: string | undefined;
    if (input.CidrBlock !== undefined) {
      const cidr = parseCidr4(input.CidrBlock);
      if (!cidr) throw Ec2Errors.invalidParameterValue(`Value (${input.CidrBlock}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
      cidrBlock = cidrText(cidr);
    }
    if ((protocol === "6" || protocol === "17") && !input.PortRange) throw Ec2Errors.missingParameter("portRange");
    if ((protocol === "1" || protocol === "58") && !input.IcmpTypeCode) throw Ec2Errors.missingParameter("icmpTypeCode");
    const entry: NetworkAclEntry = { RuleNumber: rule, Protocol: protocol, RuleAction: input.RuleAction, Egress: input.Egress, CidrBlock: cidrBlock, Ipv6CidrBlock: input.Ipv6CidrBlock };
    if (protocol === "6" || protocol === "17") entry.PortRange = { From: input.PortRange!.From, To: input.PortRange!.To };
    if (protocol === "1" || protocol === "58") entry.IcmpTypeCode = { Code: input.IcmpTypeCode!.Code, Type: input.IcmpTypeCode!.Type };
    return entry;
  }

  CreateNetworkAclEntry(input: CreateNetworkAclEntryRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const acl = requireId(this.acls(scope), input.NetworkAclId, ACL_KIND);
    const entry = this.entryOf(input);
    if ((acl.Entries ?? []).some((e) => e.RuleNumber === entry.RuleNumber && e.Egress === entry.Egress)) {
      throw Ec2Errors.custom("NetworkAclEntryAlreadyExists", `The network acl entry identified by ${entry.RuleNumber} already exists.`);
    }
    if ((acl.Entries ?? []).filter((e) => e.Egress === entry.Egress).length > 20) {
      throw Ec2Errors.custom("NetworkAclEntryLimitExceeded", "The maximum number of network acl entries has been reached.");
    }
    this.acls(scope).update(acl.NetworkAclId!, (a) => void (a.Entries = [...(a.Entries ?? []), entry]));
  }

  ReplaceNetworkAclEntry(input: ReplaceNetworkAclEntryRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const acl = requireId(this.acls(scope), input.NetworkAclId, ACL_KIND);
    const entry = this.entryOf(input as CreateNetworkAclEntryRequest);
    const index = (acl.Entries ?? []).findIndex((e) => e.RuleNumber === entry.RuleNumber && e.Egress === entry.Egress);
    if (index < 0) throw Ec2Errors.custom("InvalidNetworkAclEntry.NotFound", `The network acl entry identified by ${entry.RuleNumber} does not exist.`);
    this.acls(scope).update(acl.NetworkAclId!, (a) => void (a.Entries![index] = entry));
  }

  DeleteNetworkAclEntry(input: DeleteNetworkAclEntryRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const acl = requireId(this.acls(scope), input.NetworkAclId, ACL_KIND);
    const match = (e: NetworkAclEntry) => e.RuleNumber === input.RuleNumber && e.Egress === input.Egress;
    if (input.RuleNumber > MAX_RULE || !(acl.Entries ?? []).some(match)) {
      throw Ec2Errors.custom("InvalidNetworkAclEntry.NotFound", `The network acl entry identified by ${input.RuleNumber} does not exist.`);
    }
    this.acls(scope).update(acl.NetworkAclId!, (a) => void (a.Entries = a.Entries!.filter((e) => !match(e))));
  }

  ReplaceNetworkAclAssociation(input: ReplaceNetworkAclAssociationRequest, ctx: CallContext): ReplaceNetworkAclAssociationResult {
    const scope = scopeOf(ctx);
    checkIdShape(input.AssociationId, ASSOC_KIND);
    const target = requireId(this.acls(scope), input.NetworkAclId, ACL_KIND);
    const current = this.views(scope, this.acls(scope).values())
      .flatMap((a) => a.Associations ?? [])
      .find((x) => x.NetworkAclAssociationId === input.AssociationId);
    if (!current) throw Ec2Errors.notFound(ASSOC_KIND.notFoundCode, ASSOC_KIND.noun, [input.AssociationId]);
    const subnet = this.network.subnets(scope).get(current.SubnetId!)!;
    if (subnet.VpcId !== target.VpcId) {
      throw Ec2Errors.invalidParameterValue(`Network ACL ${target.NetworkAclId} and subnet ${subnet.SubnetId} belong to different networks`);
    }
    const id = ec2Id("aclassoc");
    this.cloud.documents.transaction(() => {
      for (const acl of this.acls(scope).values()) {
        if (acl._subnets[subnet.SubnetId!]) this.acls(scope).update(acl.NetworkAclId!, (a) => void delete a._subnets[subnet.SubnetId!]);
      }
      this.acls(scope).update(target.NetworkAclId!, (a) => void (a._subnets[subnet.SubnetId!] = id));
    });
    return { NewAssociationId: id };
  }
}

/** Entries as EC2 lists them: egress first, then by rule number. */
function sortEntries(entries: NetworkAclEntry[]): NetworkAclEntry[] {
  return [...entries].sort((a, b) => (a.Egress === b.Egress ? a.RuleNumber! - b.RuleNumber! : a.Egress ? -1 : 1));
}
