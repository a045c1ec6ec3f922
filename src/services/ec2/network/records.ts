/** Stored shapes of networking resources that differ from the API's. */
import { ec2Id } from "../../../core/ids.js";
import type { SecurityGroup, Tag } from "../../../generated/ec2.js";

/** One security group rule, as DescribeSecurityGroupRules shows it. */
export interface RuleRecord {
  id: string;
  egress: boolean;
  /** "-1" (all), "tcp", "udp", "icmp", "icmpv6" or another protocol number as text. */
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrIpv4?: string;
  cidrIpv6?: string;
  /** A referenced security group (and its owner). */
  groupId?: string;
  groupOwner?: string;
  prefixListId?: string;
  description?: string;
  tags?: Tag[];
}

/** A security group: the API shape without IpPermissions (derived from the rules). */
export type SecurityGroupRecord = Omit<SecurityGroup, "IpPermissions" | "IpPermissionsEgress"> & { _rules: RuleRecord[] };

export function newRuleId(): string {
  return ec2Id("sgr");
}

/** A new VPC's default group: all traffic in from members of the group, all traffic out. */
export function defaultGroupRules(groupId: string, account: string): Array<Omit<RuleRecord, "id">> {
  return [
    { egress: false, protocol: "-1", groupId, groupOwner: account },
    { egress: true, protocol: "-1", cidrIpv4: "0.0.0.0/0" },
  ];
}

/** A new non-default group allows all traffic out. */
export function newGroupRules(): Array<Omit<RuleRecord, "id">> {
  return [{ egress: true, protocol: "-1", cidrIpv4: "0.0.0.0/0" }];
}
