/**
 * Policy simulation: SimulatePrincipalPolicy (a user's policies with its
 * groups', a role's or a group's, plus any given) and SimulateCustomPolicy
 * (the given policies alone), evaluated by the same engine that enforces
 * identity policies (enforce.ts): for each action and resource, allowed,
 * explicitDeny or implicitDeny, and the policies whose statements decided it.
 */
import { parseArn } from "../../core/ids.js";
import type * as Iam from "../../generated/iam.js";
import type { ConditionContext } from "../s3/access/conditions.js";
import type { CallContext } from "../types.js";
import { combined, policiesOfEntity, type PolicySet, type SourcedPolicy } from "./enforce.js";
import { IamErrors } from "./errors.js";
import { paginateInOrder } from "./paging.js";
import { validatePolicyDocument } from "./policy-document.js";
import type { IamStore } from "./store.js";

const DECISIONS = { Allow: "allowed", Deny: "explicitDeny", Neutral: "implicitDeny" } as const;

function given(documents: string[] | undefined, list: string): SourcedPolicy[] {
  return (documents ?? []).map((document, i) => {
    validatePolicyDocument(document, "identity");
    return { id: `${list}.${i + 1}`, type: "none", document };
  });
}

function contextOf(entries: Iam.ContextEntry[] | undefined, callerArn: string | undefined): ConditionContext {
  const context: ConditionContext = {};
  if (callerArn) {
    context["aws:principalarn"] = callerArn;
    const user = /:user\/(?:.*\/)?([^/]+)$/.exec(callerArn);
    if (user) context["aws:username"] = user[1];
  }
  for (const entry of entries ?? []) {
    if (!entry.ContextKeyName) continue;
    const values = entry.ContextKeyValues ?? [];
    context[entry.ContextKeyName.toLowerCase()] = entry.ContextKeyType?.endsWith("List") ? values : values[0];
  }
  return context;
}

export class SimulationOperations {
  constructor(private readonly store: IamStore) {}

  SimulatePrincipalPolicy(input: Iam.SimulatePrincipalPolicyRequest, ctx: CallContext): Iam.SimulatePolicyResponse {
    const arn = parseArn(input.PolicySourceArn);
    if (!arn || arn.service !== "iam") throw IamErrors.invalidArn(input.PolicySourceArn);
    const account = arn.account || ctx.account;
    const name = arn.resource.split("/").pop() ?? "";
    let set: PolicySet;
    if (arn.resource.startsWith("user/")) {
      const user = this.store.users(account).get(name.toLowerCase());
      if (!user) throw IamErrors.noSuchUser(name);
      set = policiesOfEntity(this.store, account, user, "user");
    } else if (arn.resource.startsWith("role/")) {
      const role = this.store.roles(account).get(name.toLowerCase());
      if (!role) throw IamErrors.noSuchRole(name);
      set = policiesOfEntity(this.store, account, role, "role");
    } else if (arn.resource.startsWith("group/")) {
      const group = this.store.groups(account).get(name.toLowerCase());
      if (!group) throw IamErrors.noSuchGroup(name);
      set = policiesOfEntity(this.store, account, group, "group");
    } else {
      throw IamErrors.invalidArn(input.PolicySourceArn);
    }
    set.policies.push(...given(input.PolicyInputList, "PolicyInputList"));
    if (input.PermissionsBoundaryPolicyInputList?.length) set.boundary = given(input.PermissionsBoundaryPolicyInputList, "PermissionsBoundaryPolicyInputList");
    return this.simulate(set, input, input.CallerArn ?? input.PolicySourceArn);
  }

  SimulateCustomPolicy(input: Iam.SimulateCustomPolicyRequest): Iam.SimulatePolicyResponse {
    const set: PolicySet = { policies: given(input.PolicyInputList, "PolicyInputList") };
    if (input.PermissionsBoundaryPolicyInputList?.length) set.boundary = given(input.PermissionsBoundaryPolicyInputList, "PermissionsBoundaryPolicyInputList");
    return this.simulate(set, input, input.CallerArn);
  }

  private simulate(set: PolicySet, input: Iam.SimulatePrincipalPolicyRequest | Iam.SimulateCustomPolicyRequest, callerArn: string | undefined): Iam.SimulatePolicyResponse {
    const context = contextOf(input.ContextEntries, callerArn);
    const resources = input.ResourceArns?.length ? input.ResourceArns : ["*"];
    const results: Iam.EvaluationResult[] = [];
    for (const action of input.ActionNames) {
      for (const resource of resources) {
        const outcome = combined(set, { principalArn: callerArn ?? "", action, resource: resource === "*" ? undefined : resource, context });
        results.push({
          EvalActionName: action,
          EvalResourceName: resource,
          EvalDecision: DECISIONS[outcome.decision],
          MatchedStatements: outcome.matched.map((p) => ({ SourcePolicyId: p.id, SourcePolicyType: p.type })),
          MissingContextValues: [],
          ...(outcome.boundaryAllows !== undefined ? { PermissionsBoundaryDecisionDetail: { AllowedByPermissionsBoundary: outcome.boundaryAllows } } : {}),
        });
      }
    }
    const page = paginateInOrder(results, input.Marker, input.MaxItems);
    return { EvaluationResults: page.items, IsTruncated: page.IsTruncated, Marker: page.Marker };
  }
}
