/**
 * Security group rules: reading IpPermissions (and the legacy flat
 * parameters) into single rules with AWS's validation, and folding rules back
 * into the IpPermissions that DescribeSecurityGroups shows.
 */
import type { IpPermission, SecurityGroupRule } from "../../../generated/ec2.js";
import { Ec2Errors } from "../errors.js";
import { isCidr6, parseCidr4 } from "./cidr.js";
import type { RuleRecord } from "./records.js";

export type RuleSpec = Omit<RuleRecord, "id">;

const PROTOCOL_NAMES: Record<string, string> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", all: "-1", "-1": "-1" };

/** "TCP" → "tcp", "6" → "tcp", "all" → "-1", "50" → "50". */
export function normaliseProtocol(value: string | undefined): string {
  if (value === undefined || value === "") throw Ec2Errors.missingParameter("ipProtocol");
  const lower = value.toLowerCase();
  if (lower === "tcp" || lower === "udp" || lower === "icmp" || lower === "icmpv6") return lower;
  if (PROTOCOL_NAMES[lower]) return PROTOCOL_NAMES[lower];
  if (/^\d+$/.test(lower) && Number(lower) <= 255) return String(Number(lower));
  throw Ec2Errors.invalidParameterValue(`Invalid value '${value}' for IP protocol. Unknown protocol.`);
}

/** Checks and normalises the port range of one permission. */
function ports(protocol: string, from: number | undefined, to: number | undefined): { fromPort?: number; toPort?: number } {
  if (protocol === "-1") return {};
  if (protocol === "tcp" || protocol === "udp") {
    if (from === undefined || to === undefined) {
      throw Ec2Errors.invalidParameterValue("Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange");
    }
    if (from < 0 || to > 65535 || from > to) {
      throw Ec2Errors.invalidParameterValue(`Invalid TCP/UDP port range: ${from}-${to}`);
    }
    return { fromPort: from, toPort: to };
  }
  if (protocol === "icmp" || protocol === "icmpv6") {
    const type = from ?? -1;
    const code = to ?? -1;
    if (type < -1 || type > 255 || code < -1 || code > 255) {
      throw Ec2Errors.invalidParameterValue(`Invalid value '${type}/${code}' for ICMP type/code.`);
    }
    return { fromPort: type, toPort: code };
  }
  // Other protocols carry no ports; EC2 ignores them.
  return {};
}

export interface GroupResolver {
  /** A referenced group by id or (default-VPC) name: its id and owner, or AWS's NotFound error. */
  resolve(reference: { GroupId?: string; GroupName?: string; UserId?: string }): { groupId: string; owner: string };
}

/** The single rules an IpPermissions list asks for, in order. */
export function rulesFromPermissions(permissions: readonly IpPermission[], egress: boolean, groups: GroupResolver): RuleSpec[] {
  const out: RuleSpec[] = [];
  for (const permission of permissions) {
    const protocol = normaliseProtocol(permission.IpProtocol);
    const range = ports(protocol, permission.FromPort, permission.ToPort);
    const base = { egress, protocol, ...range };
    const before = out.length;
    for (const r of permission.IpRanges ?? []) {
      if (!r.CidrIp || !parseCidr4(r.CidrIp)) {
        throw Ec2Errors.invalidParameterValue(`CIDR block ${r.CidrIp ?? ""} is malformed`);
      }
      out.push({ ...base, cidrIpv4: r.CidrIp, description: checkDescription(r.Description) });
    }
    for (const r of permission.Ipv6Ranges ?? []) {
      if (!r.CidrIpv6 || !isCidr6(r.CidrIpv6)) {
        throw Ec2Errors.invalidParameterValue(`CIDR block ${r.CidrIpv6 ?? ""} is malformed`);
      }
      out.push({ ...base, cidrIpv6: r.CidrIpv6.toLowerCase(), description: checkDescription(r.Description) });
    }
    for (const pair of permission.UserIdGroupPairs ?? []) {
      const { groupId, owner } = groups.resolve(pair);
      out.push({ ...base, groupId, groupOwner: owner, description: checkDescription(pair.Description) });
    }
    for (const list of permission.PrefixListIds ?? []) {
      if (!list.PrefixListId) throw Ec2Errors.missingParameter("PrefixListId");
      out.push({ ...base, prefixListId: list.PrefixListId, description: checkDescription(list.Description) });
    }
    if (out.length === before) {
      throw Ec2Errors.missingParameter("either 'IpRanges', 'Ipv6Ranges', 'PrefixListIds' or 'UserIdGroupPairs'");
    }
  }
  return out;
}

/** The legacy flat parameters (CidrIp, IpProtocol, FromPort, ToPort, SourceSecurityGroupName) as one permission. */
export function flatPermission(input: {
  CidrIp?: string;
  IpProtocol?: string;
  FromPort?: number;
  ToPort?: number;
  SourceSecurityGroupName?: string;
  SourceSecurityGroupOwnerId?: string;
}): IpPermission | undefined {
  if (!input.CidrIp && !input.IpProtocol && !input.SourceSecurityGroupName) return undefined;
  if (input.SourceSecurityGroupName) {
    // The legacy source-group form grants every protocol and port from that group.
    return { IpProtocol: input.IpProtocol ?? "-1", FromPort: input.FromPort, ToPort: input.ToPort, UserIdGroupPairs: [{ GroupName: input.SourceSecurityGroupName, UserId: input.SourceSecurityGroupOwnerId }] };
  }
  return { IpProtocol: input.IpProtocol, FromPort: input.FromPort, ToPort: input.ToPort, IpRanges: [{ CidrIp: input.CidrIp ?? "0.0.0.0/0" }] };
}

function checkDescription(description: string | undefined): string | undefined {
  if (description === undefined) return undefined;
  if (description.length > 255) throw Ec2Errors.invalidParameterValue("Invalid rule description. Maximum length is 255 characters.");
  if (!/^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/.test(description)) {
    throw Ec2Errors.invalidParameterValue(
      "Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*",
    );
  }
  return description;
}

/** Two rules allow the same traffic from the same peer (descriptions don't count). */
export function sameRule(a: RuleSpec, b: RuleSpec): boolean {
  return (
    a.egress === b.egress &&
    a.protocol === b.protocol &&
    a.fromPort === b.fromPort &&
    a.toPort === b.toPort &&
    a.cidrIpv4 === b.cidrIpv4 &&
    a.cidrIpv6 === b.cidrIpv6 &&
    a.groupId === b.groupId &&
    a.prefixListId === b.prefixListId
  );
}

/** The rule as AWS names it in InvalidPermission.Duplicate: peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW. */
export function describeRule(rule: RuleSpec): string {
  const peer = rule.cidrIpv4 ?? rule.cidrIpv6 ?? rule.groupId ?? rule.prefixListId ?? "";
  const protocol = rule.protocol === "-1" ? "ALL" : rule.protocol.toUpperCase();
  if (rule.protocol === "tcp" || rule.protocol === "udp") {
    return `peer: ${peer}, ${protocol}, from port: ${rule.fromPort}, to port: ${rule.toPort}, ALLOW`;
  }
  if (rule.protocol === "icmp" || rule.protocol === "icmpv6") {
    return `peer: ${peer}, ${protocol}, type: ${rule.fromPort}, code: ${rule.toPort}, ALLOW`;
  }
  return `peer: ${peer}, ${protocol}, ALLOW`;
}

/** Rules folded into IpPermissions: one permission per protocol and port range, in first-seen order. */
export function permissionsOf(rules: readonly RuleRecord[], egress: boolean): IpPermission[] {
  const out = new Map<string, IpPermission>();
  for (const rule of rules) {
    if (rule.egress !== egress) continue;
    const key = `${rule.protocol}/${rule.fromPort ?? ""}/${rule.toPort ?? ""}`;
    let permission = out.get(key);
    if (!permission) {
      permission = { IpProtocol: rule.protocol, IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] };
      if (rule.fromPort !== undefined) permission.FromPort = rule.fromPort;
      if (rule.toPort !== undefined) permission.ToPort = rule.toPort;
      out.set(key, permission);
    }
    if (rule.cidrIpv4) permission.IpRanges!.push({ CidrIp: rule.cidrIpv4, Description: rule.description });
    if (rule.cidrIpv6) permission.Ipv6Ranges!.push({ CidrIpv6: rule.cidrIpv6, Description: rule.description });
    if (rule.prefixListId) permission.PrefixListIds!.push({ PrefixListId: rule.prefixListId, Description: rule.description });
    if (rule.groupId) {
      permission.UserIdGroupPairs!.push({ GroupId: rule.groupId, UserId: rule.groupOwner, Description: rule.description });
    }
  }
  return [...out.values()];
}

/** A rule as DescribeSecurityGroupRules and Authorize* return it. */
export function ruleView(rule: RuleRecord, group: { GroupId?: string; OwnerId?: string }, region: string): SecurityGroupRule {
  return {
    SecurityGroupRuleId: rule.id,
    GroupId: group.GroupId,
    GroupOwnerId: group.OwnerId,
    IsEgress: rule.egress,
    IpProtocol: rule.protocol,
    FromPort: rule.fromPort ?? -1,
    ToPort: rule.toPort ?? -1,
    CidrIpv4: rule.cidrIpv4,
    CidrIpv6: rule.cidrIpv6,
    PrefixListId: rule.prefixListId,
    ReferencedGroupInfo: rule.groupId ? { GroupId: rule.groupId, UserId: rule.groupOwner } : undefined,
    Description: rule.description,
    Tags: rule.tags ?? [],
    SecurityGroupRuleArn: `arn:aws:ec2:${region}:${group.OwnerId}:security-group-rule/${rule.id}`,
  };
}
