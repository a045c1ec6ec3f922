/**
 * Security groups: create/delete (DependencyViolation while an instance or
 * another group's rule uses one), Describe with AWS's filters, rules in and
 * out with protocols, port ranges, v4/v6 CIDRs, group references and prefix
 * lists, each rule with its sgr- id.
 */
import type { Cloud } from "../../../cloud.js";
import type {
  AuthorizeSecurityGroupEgressRequest,
  AuthorizeSecurityGroupEgressResult,
  AuthorizeSecurityGroupIngressRequest,
  AuthorizeSecurityGroupIngressResult,
  CreateSecurityGroupRequest,
  CreateSecurityGroupResult,
  DeleteSecurityGroupRequest,
  DeleteSecurityGroupResult,
  DescribeSecurityGroupRulesRequest,
  DescribeSecurityGroupRulesResult,
  DescribeSecurityGroupsRequest,
  DescribeSecurityGroupsResult,
  IpPermission,
  RevokeSecurityGroupEgressRequest,
  RevokeSecurityGroupEgressResult,
  RevokeSecurityGroupIngressRequest,
  RevokeSecurityGroupIngressResult,
  SecurityGroup,
  SecurityGroupRule,
} from "../../../generated/ec2.js";
import { ec2Id } from "../../../core/ids.js";
import type { Scope } from "../../../state/documents.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters, tagsOf } from "../filters.js";
import { KINDS, checkIdShape, requireId } from "../lookup.js";
import { paginate } from "../pagination.js";
import type { Ec2State } from "../state.js";
import { tagsFor } from "../tags.js";
import { scopeOf, type NetworkModule } from "./module.js";
import { newGroupRules, newRuleId, type RuleRecord, type SecurityGroupRecord } from "./records.js";
import { describeRule, flatPermission, permissionsOf, ruleView, rulesFromPermissions, sameRule, type GroupResolver, type RuleSpec } from "./rules.js";

const MAX_RULES_PER_DIRECTION = 60;
const NAME_CHARS = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;

export class SecurityGroupsModule {
  constructor(
    readonly cloud: Cloud,
    private readonly state: Ec2State,
    private readonly network: NetworkModule,
  ) {}

  /** A group by id, or by name in the default VPC (as the name-only API forms mean). */
  find(scope: Scope, reference: { GroupId?: string; GroupName?: string }): SecurityGroupRecord {
    const groups = this.network.groups(scope);
    if (reference.GroupId) {
      checkIdShape(reference.GroupId, KINDS.sg);
      const found = groups.get(reference.GroupId);
      if (!found) throw Ec2Errors.groupNotFound(reference.GroupId);
      return found;
    }
    if (reference.GroupName) {
      const vpcId = this.network.defaultVpcId(scope);
      const found = groups.values().find((g) => g.VpcId === vpcId && g.GroupName === reference.GroupName);
      if (!found) throw Ec2Errors.custom("InvalidGroup.NotFound", `The security group '${reference.GroupName}' does not exist in default VPC '${vpcId}'`);
      return found;
    }
    throw Ec2Errors.missingParameter("groupId");
  }

  /** Resolves the groups of a launch (ids or names) in a VPC; all must belong to it. */
  resolveForLaunch(scope: Scope, vpcId: string, ids: readonly string[], names: readonly string[]): SecurityGroupRecord[] {
    const groups = this.network.groups(scope);
    const out: SecurityGroupRecord[] = [];
    for (const id of ids) {
      checkIdShape(id, KINDS.sg);
      const group = groups.get(id);
      if (!group) throw Ec2Errors.custom("InvalidGroup.NotFound", `The security group '${id}' does not exist in VPC '${vpcId}'`);
      if (group.VpcId !== vpcId) {
        throw Ec2Errors.invalidParameter(`Security group ${id} and subnet belong to different networks.`);
      }
      out.push(group);
    }
    for (const name of names) {
      const group = groups.values().find((g) => g.VpcId === vpcId && g.GroupName === name);
      if (!group) throw Ec2Errors.custom("InvalidGroup.NotFound", `The security group '${name}' does not exist in VPC '${vpcId}'`);
      out.push(group);
    }
    return out;
  }

  view(group: SecurityGroupRecord): SecurityGroup {
    const { _rules, ...rest } = group;
    return { ...rest, Tags: rest.Tags?.length ? rest.Tags : undefined, IpPermissions: permissionsOf(_rules, false), IpPermissionsEgress: permissionsOf(_rules, true) };
  }

  CreateSecurityGroup(input: CreateSecurityGroupRequest, ctx: CallContext): CreateSecurityGroupResult {
    const scope = scopeOf(ctx);
    const tags = tagsFor(input.TagSpecifications, "security-group");
    const name = input.GroupName;
    const description = input.Description;
    if (name.length === 0 || name.length > 255) throw Ec2Errors.invalidParameterValue(`Invalid value '${name}' for groupName. Length of groupName must be between 1 and 255 characters.`);
    if (description.length > 255) throw Ec2Errors.invalidParameterValue("Invalid value for GroupDescription. Length must not exceed 255 characters.");
    if (!NAME_CHARS.test(name)) throw Ec2Errors.invalidParameterValue(`Value (${name}) for parameter GroupName is invalid. Character sets beyond ASCII are not supported.`);
    if (!NAME_CHARS.test(description)) {
      throw Ec2Errors.invalidParameterValue(`Value (${description}) for parameter GroupDescription is invalid. Character sets beyond ASCII are not supported.`);
    }
    if (/^sg-/i.test(name)) throw Ec2Errors.invalidParameterValue("Group names may not be in the format sg-*");
    if (name === "default") throw Ec2Errors.custom("InvalidGroup.Reserved", "The security group 'default' is reserved");
    const vpcId = input.VpcId ?? this.network.defaultVpcId(scope);
    if (!vpcId) throw Ec2Errors.custom("VPCIdNotSpecified", "No default VPC for this user");
    requireId(this.network.vpcs(scope), vpcId, KINDS.vpc);
    const groups = this.network.groups(scope);
    if (groups.values().some((g) => g.VpcId === vpcId && g.GroupName === name)) throw Ec2Errors.groupDuplicate(name, vpcId);
    const groupId = ec2Id("sg");
    const record: SecurityGroupRecord = {
      GroupId: groupId,
      GroupName: name,
      Description: description,
      OwnerId: scope.account,
      VpcId: vpcId,
      SecurityGroupArn: `arn:aws:ec2:${scope.region}:${scope.account}:security-group/${groupId}`,
      Tags: tags,
      _rules: newGroupRules().map((rule) => ({ ...rule, id: newRuleId() })),
    };
    groups.put(groupId, record);
    return { GroupId: groupId, SecurityGroupArn: record.SecurityGroupArn, Tags: tags.length ? tags : undefined };
  }

  DeleteSecurityGroup(input: DeleteSecurityGroupRequest, ctx: CallContext): DeleteSecurityGroupResult {
    const scope = scopeOf(ctx);
    const group = this.find(scope, input);
    const id = group.GroupId!;
    if (group.GroupName === "default") {
      throw Ec2Errors.custom("CannotDelete", `the specified group: "${id}" name: "default" cannot be deleted by a user`);
    }
    const usedByInstance = this.state
      .instances(scope)
      .values()
      .some((i) => i.State?.Name !== "terminated" && i.SecurityGroups?.some((g) => g.GroupId === id)) ||
      this.state
        .collection<{ Groups?: Array<{ GroupId?: string }> }>("network-interfaces", scope)
        .values()
        .some((n) => n.Groups?.some((g) => g.GroupId === id));
    const referenced = this.network
      .groups(scope)
      .values()
      .some((g) => g.GroupId !== id && g._rules.some((r) => r.groupId === id));
    if (usedByInstance || referenced) throw Ec2Errors.dependencyViolation(`resource ${id} has a dependent object`);
    this.network.groups(scope).delete(id);
    return { Return: true, GroupId: id };
  }

  DescribeSecurityGroups(input: DescribeSecurityGroupsRequest, ctx: CallContext): DescribeSecurityGroupsResult {
    const scope = scopeOf(ctx);
    const groups = this.network.groups(scope);
    let selected: SecurityGroupRecord[];
    const idsGiven = Boolean(input.GroupIds?.length || input.GroupNames?.length);
    if (idsGiven) {
      selected = [];
      for (const id of input.GroupIds ?? []) selected.push(this.find(scope, { GroupId: id }));
      for (const name of input.GroupNames ?? []) selected.push(this.find(scope, { GroupName: name }));
      selected = [...new Map(selected.map((g) => [g.GroupId!, g])).values()];
    } else selected = groups.values();
    const names = new Map(groups.values().map((g) => [g.GroupId!, g.GroupName!]));
    const permissionFields = (prefix: string, egress: boolean) => {
      const pick = (g: SecurityGroupRecord) => g._rules.filter((r) => r.egress === egress);
      return {
        [`${prefix}.cidr`]: (g: SecurityGroupRecord) => pick(g).map((r) => r.cidrIpv4),
        [`${prefix}.from-port`]: (g: SecurityGroupRecord) => pick(g).map((r) => r.fromPort),
        [`${prefix}.to-port`]: (g: SecurityGroupRecord) => pick(g).map((r) => r.toPort),
        [`${prefix}.group-id`]: (g: SecurityGroupRecord) => pick(g).map((r) => r.groupId),
        [`${prefix}.group-name`]: (g: SecurityGroupRecord) => pick(g).map((r) => (r.groupId ? names.get(r.groupId) : undefined)),
        [`${prefix}.ipv6-cidr`]: (g: SecurityGroupRecord) => pick(g).map((r) => r.cidrIpv6),
        [`${prefix}.prefix-list-id`]: (g: SecurityGroupRecord) => pick(g).map((r) => r.prefixListId),
        [`${prefix}.protocol`]: (g: SecurityGroupRecord) => pick(g).map((r) => r.protocol),
        [`${prefix}.user-id`]: (g: SecurityGroupRecord) => pick(g).map((r) => r.groupOwner),
      };
    };
    const predicate = compileFilters<SecurityGroupRecord>(input.Filters, {
      fields: {
        description: (g) => g.Description,
        "group-id": (g) => g.GroupId,
        "group-name": (g) => g.GroupName,
        "owner-id": (g) => g.OwnerId,
        "vpc-id": (g) => g.VpcId,
        ...permissionFields("ip-permission", false),
        ...permissionFields("egress.ip-permission", true),
      },
      tags: tagsOf,
    });
    const page = paginate(selected.filter(predicate), input, { min: 5, max: 1000, idsParameter: "groupIdSet" }, (g) => g.GroupId!, idsGiven);
    return { SecurityGroups: page.items.map((g) => this.view(g)), NextToken: page.nextToken };
  }

  AuthorizeSecurityGroupIngress(input: AuthorizeSecurityGroupIngressRequest, ctx: CallContext): AuthorizeSecurityGroupIngressResult {
    return this.authorize(scopeOf(ctx), this.find(scopeOf(ctx), input), input, false);
  }

  AuthorizeSecurityGroupEgress(input: AuthorizeSecurityGroupEgressRequest, ctx: CallContext): AuthorizeSecurityGroupEgressResult {
    return this.authorize(scopeOf(ctx), this.find(scopeOf(ctx), { GroupId: input.GroupId }), input, true);
  }

  RevokeSecurityGroupIngress(input: RevokeSecurityGroupIngressRequest, ctx: CallContext): RevokeSecurityGroupIngressResult {
    return this.revoke(scopeOf(ctx), this.find(scopeOf(ctx), input), input, false);
  }

  RevokeSecurityGroupEgress(input: RevokeSecurityGroupEgressRequest, ctx: CallContext): RevokeSecurityGroupEgressResult {
    return this.revoke(scopeOf(ctx), this.find(scopeOf(ctx), { GroupId: input.GroupId }), input, true);
  }

  DescribeSecurityGroupRules(input: DescribeSecurityGroupRulesRequest, ctx: CallContext): DescribeSecurityGroupRulesResult {
    const scope = scopeOf(ctx);
    const all: SecurityGroupRule[] = [];
    for (const group of this.network.groups(scope).values()) for (const rule of group._rules) all.push(ruleView(rule, group, scope.region));
    let selected = all;
    if (input.SecurityGroupRuleIds?.length) {
      for (const id of input.SecurityGroupRuleIds) checkIdShape(id, KINDS.sgr);
      const missing = input.SecurityGroupRuleIds.filter((id) => !all.some((r) => r.SecurityGroupRuleId === id));
      if (missing.length) throw Ec2Errors.notFound(KINDS.sgr.notFoundCode, KINDS.sgr.noun, missing);
      selected = all.filter((r) => input.SecurityGroupRuleIds!.includes(r.SecurityGroupRuleId!));
    }
    const predicate = compileFilters<SecurityGroupRule>(input.Filters, {
      fields: {
        "group-id": (r) => r.GroupId,
        "security-group-rule-id": (r) => r.SecurityGroupRuleId,
      },
      tags: (r) => r.Tags,
    });
    const page = paginate(selected.filter(predicate), input, { min: 5, max: 1000 }, (r) => `${r.GroupId}/${r.SecurityGroupRuleId}`);
    return { SecurityGroupRules: page.items, NextToken: page.nextToken };
  }

  private resolver(scope: Scope, group: SecurityGroupRecord): GroupResolver {
    return {
      resolve: (reference) => {
        if (reference.GroupId) {
          checkIdShape(reference.GroupId, KINDS.sg);
          const found = this.network.groups(scope).get(reference.GroupId);
          if (!found) throw Ec2Errors.groupNotFound(reference.GroupId);
          return { groupId: found.GroupId!, owner: found.OwnerId! };
        }
        if (reference.GroupName) {
          const found = this.network
            .groups(scope)
            .values()
            .find((g) => g.VpcId === group.VpcId && g.GroupName === reference.GroupName);
          if (!found) throw Ec2Errors.groupNotFound(reference.GroupName, group.VpcId);
          return { groupId: found.GroupId!, owner: found.OwnerId! };
        }
        throw Ec2Errors.missingParameter("groupId");
      },
    };
  }

  private requested(scope: Scope, group: SecurityGroupRecord, input: { IpPermissions?: IpPermission[] } & Parameters<typeof flatPermission>[0], egress: boolean): RuleSpec[] {
    const permissions = [...(input.IpPermissions ?? [])];
    const flat = flatPermission(input);
    if (flat) permissions.push(flat);
    if (permissions.length === 0) throw Ec2Errors.missingParameter("IpPermissions");
    return rulesFromPermissions(permissions, egress, this.resolver(scope, group));
  }

  private authorize(
    scope: Scope,
    group: SecurityGroupRecord,
    input: { IpPermissions?: IpPermission[]; TagSpecifications?: AuthorizeSecurityGroupIngressRequest["TagSpecifications"] } & Parameters<typeof flatPermission>[0],
    egress: boolean,
  ): AuthorizeSecurityGroupIngressResult {
    const tags = tagsFor(input.TagSpecifications, "security-group-rule");
    const wanted = this.requested(scope, group, input, egress);
    const added: RuleRecord[] = [];
    for (const spec of wanted) {
      if (group._rules.some((r) => sameRule(r, spec)) || added.some((r) => sameRule(r, spec))) {
        throw Ec2Errors.invalidPermissionDuplicate(describeRule(spec));
      }
      added.push({ ...spec, id: newRuleId(), tags: tags.length ? tags : undefined });
    }
    if (group._rules.filter((r) => r.egress === egress).length + added.length > MAX_RULES_PER_DIRECTION) {
      throw Ec2Errors.custom("RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.");
    }
    this.network.groups(scope).update(group.GroupId!, (g) => void g._rules.push(...added));
    return { Return: true, SecurityGroupRules: added.map((r) => ruleView(r, group, scope.region)) };
  }

  private revoke(
    scope: Scope,
    group: SecurityGroupRecord,
    input: { IpPermissions?: IpPermission[]; SecurityGroupRuleIds?: string[] } & Parameters<typeof flatPermission>[0],
    egress: boolean,
  ): RevokeSecurityGroupIngressResult {
    let removed: RuleRecord[];
    const unknown: IpPermission[] = [];
    if (input.SecurityGroupRuleIds?.length) {
      removed = [];
      for (const id of input.SecurityGroupRuleIds) {
        checkIdShape(id, KINDS.sgr);
        const rule = group._rules.find((r) => r.id === id && r.egress === egress);
        if (!rule) throw Ec2Errors.notFound(KINDS.sgr.notFoundCode, KINDS.sgr.noun, [id]);
        removed.push(rule);
      }
    } else {
      const wanted = this.requested(scope, group, input, egress);
      removed = [];
      for (const spec of wanted) {
        const rule = group._rules.find((r) => sameRule(r, spec));
        if (rule) removed.push(rule);
        else unknown.push(permissionsOf([{ ...spec, id: "" }], egress)[0]);
      }
      if (removed.length === 0) throw Ec2Errors.invalidPermissionNotFound();
    }
    const ids = new Set(removed.map((r) => r.id));
    this.network.groups(scope).update(group.GroupId!, (g) => void (g._rules = g._rules.filter((r) => !ids.has(r.id))));
    return {
      Return: true,
      UnknownIpPermissions: unknown.length ? unknown : undefined,
      RevokedSecurityGroupRules: removed.map((r) => ({
        SecurityGroupRuleId: r.id,
        GroupId: group.GroupId,
        IsEgress: r.egress,
        IpProtocol: r.protocol,
        FromPort: r.fromPort ?? -1,
        ToPort: r.toPort ?? -1,
        CidrIpv4: r.cidrIpv4,
        CidrIpv6: r.cidrIpv6,
        PrefixListId: r.prefixListId,
        ReferencedGroupId: r.groupId,
        Description: r.description,
      })),
    };
  }
}
