/**
 * Inline policies embedded in roles and users: Put/Get/Delete/List (groups'
 * are in group-policies.ts). IAM caps the total size of an entity's inline
 * policies (10,240 characters for a role, 2,048 for a user, 5,120 for a
 * group, whitespace not counted).
 */
import type * as Iam from "../../generated/iam.js";
import type { CallContext } from "../types.js";
import { IamErrors } from "./errors.js";
import { requireModifiableRole, requireRole, requireUser } from "./lookup.js";
import { paginate } from "./paging.js";
import { encodeDocument, POLICY_QUOTAS, policySize, validatePolicyDocument } from "./policy-document.js";
import type { IamStore } from "./store.js";

export function checkInlineSize(policies: Record<string, string>, name: string, document: string, limit: number, entity: string): void {
  let total = policySize(document);
  for (const [other, text] of Object.entries(policies)) if (other !== name) total += policySize(text);
  if (total > limit) throw IamErrors.limitExceeded(`Maximum policy size of ${limit} bytes exceeded for ${entity}`);
}

/** Policy names may be anything [\w+=,.@-]+ matches, "__proto__" and "constructor" included. */
export function getOwn(policies: Record<string, string>, name: string): string | undefined {
  return Object.hasOwn(policies, name) ? policies[name] : undefined;
}

export function setOwn(policies: Record<string, string>, name: string, document: string): void {
  Object.defineProperty(policies, name, { value: document, enumerable: true, writable: true, configurable: true });
}

export class InlinePolicyOperations {
  constructor(private readonly store: IamStore) {}

  PutRolePolicy(input: Iam.PutRolePolicyRequest, ctx: CallContext): void {
    const role = requireModifiableRole(this.store, ctx.account, input.RoleName);
    validatePolicyDocument(input.PolicyDocument, "identity");
    checkInlineSize(role.InlinePolicies, input.PolicyName, input.PolicyDocument, POLICY_QUOTAS.roleInlinePolicySize, `role ${role.RoleName}`);
    this.store.roles(ctx.account).update(role.RoleName.toLowerCase(), (r) => {
      setOwn(r.InlinePolicies, input.PolicyName, input.PolicyDocument);
    });
  }

  GetRolePolicy(input: Iam.GetRolePolicyRequest, ctx: CallContext): Iam.GetRolePolicyResponse {
    const role = requireRole(this.store, ctx.account, input.RoleName);
    const document = getOwn(role.InlinePolicies, input.PolicyName);
    if (document === undefined) throw IamErrors.noSuchRolePolicy(input.PolicyName);
    return { RoleName: role.RoleName, PolicyName: input.PolicyName, PolicyDocument: encodeDocument(document) };
  }

  DeleteRolePolicy(input: Iam.DeleteRolePolicyRequest, ctx: CallContext): void {
    const role = requireModifiableRole(this.store, ctx.account, input.RoleName);
    if (getOwn(role.InlinePolicies, input.PolicyName) === undefined) throw IamErrors.noSuchRolePolicy(input.PolicyName);
    this.store.roles(ctx.account).update(role.RoleName.toLowerCase(), (r) => {
      delete r.InlinePolicies[input.PolicyName];
    });
  }

  ListRolePolicies(input: Iam.ListRolePoliciesRequest, ctx: CallContext): Iam.ListRolePoliciesResponse {
    const role = requireRole(this.store, ctx.account, input.RoleName);
    const page = paginate(Object.keys(role.InlinePolicies), (name) => name, input.Marker, input.MaxItems);
    return { PolicyNames: page.items, IsTruncated: page.IsTruncated, Marker: page.Marker };
  }

  PutUserPolicy(input: Iam.PutUserPolicyRequest, ctx: CallContext): void {
    const user = requireUser(this.store, ctx.account, input.UserName);
    validatePolicyDocument(input.PolicyDocument, "identity");
    checkInlineSize(user.InlinePolicies, input.PolicyName, input.PolicyDocument, POLICY_QUOTAS.userInlinePolicySize, `user ${user.UserName}`);
    this.store.users(ctx.account).update(user.UserName.toLowerCase(), (u) => {
      setOwn(u.InlinePolicies, input.PolicyName, input.PolicyDocument);
    });
  }

  GetUserPolicy(input: Iam.GetUserPolicyRequest, ctx: CallContext): Iam.GetUserPolicyResponse {
    const user = requireUser(this.store, ctx.account, input.UserName);
    const document = getOwn(user.InlinePolicies, input.PolicyName);
    if (document === undefined) throw IamErrors.noSuchUserPolicy(input.PolicyName);
    return { UserName: user.UserName, PolicyName: input.PolicyName, PolicyDocument: encodeDocument(document) };
  }

  DeleteUserPolicy(input: Iam.DeleteUserPolicyRequest, ctx: CallContext): void {
    const user = requireUser(this.store, ctx.account, input.UserName);
    if (getOwn(user.InlinePolicies, input.PolicyName) === undefined) throw IamErrors.noSuchUserPolicy(input.PolicyName);
    this.store.users(ctx.account).update(user.UserName.toLowerCase(), (u) => {
      delete u.InlinePolicies[input.PolicyName];
    });
  }

  ListUserPolicies(input: Iam.ListUserPoliciesRequest, ctx: CallContext): Iam.ListUserPoliciesResponse {
    const user = requireUser(this.store, ctx.account, input.UserName);
    const page = paginate(Object.keys(user.InlinePolicies), (name) => name, input.Marker, input.MaxItems);
    return { PolicyNames: page.items, IsTruncated: page.IsTruncated, Marker: page.Marker };
  }
}
