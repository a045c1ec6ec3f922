/** A group's policies: inline (Put/Get/Delete/List) and attached managed ones. */
import type * as Iam from "../../generated/iam.js";
import type { CallContext } from "../types.js";
import { attachedPolicies, attachPolicy, detachPolicy } from "./attachments.js";
import { IamErrors } from "./errors.js";
import { checkInlineSize, getOwn, setOwn } from "./inline-policies.js";
import { requireGroup } from "./lookup.js";
import { paginate } from "./paging.js";
import { encodeDocument, POLICY_QUOTAS, validatePolicyDocument } from "./policy-document.js";
import type { GroupRecord, IamStore } from "./store.js";

export class GroupPolicyOperations {
  constructor(private readonly store: IamStore) {}

  PutGroupPolicy(input: Iam.PutGroupPolicyRequest, ctx: CallContext): void {
    const group = requireGroup(this.store, ctx.account, input.GroupName);
    validatePolicyDocument(input.PolicyDocument, "identity");
    checkInlineSize(group.InlinePolicies, input.PolicyName, input.PolicyDocument, POLICY_QUOTAS.groupInlinePolicySize, `group ${group.GroupName}`);
    this.update(ctx, group, (g) => {
      setOwn(g.InlinePolicies, input.PolicyName, input.PolicyDocument);
    });
  }

  GetGroupPolicy(input: Iam.GetGroupPolicyRequest, ctx: CallContext): Iam.GetGroupPolicyResponse {
    const group = requireGroup(this.store, ctx.account, input.GroupName);
    const document = getOwn(group.InlinePolicies, input.PolicyName);
    if (document === undefined) throw IamErrors.noSuchGroupPolicy(input.PolicyName);
    return { GroupName: group.GroupName, PolicyName: input.PolicyName, PolicyDocument: encodeDocument(document) };
  }

  DeleteGroupPolicy(input: Iam.DeleteGroupPolicyRequest, ctx: CallContext): void {
    const group = requireGroup(this.store, ctx.account, input.GroupName);
    if (getOwn(group.InlinePolicies, input.PolicyName) === undefined) throw IamErrors.noSuchGroupPolicy(input.PolicyName);
    this.update(ctx, group, (g) => {
      delete g.InlinePolicies[input.PolicyName];
    });
  }

  ListGroupPolicies(input: Iam.ListGroupPoliciesRequest, ctx: CallContext): Iam.ListGroupPoliciesResponse {
    const group = requireGroup(this.store, ctx.account, input.GroupName);
    const page = paginate(Object.keys(group.InlinePolicies), (name) => name, input.Marker, input.MaxItems);
    return { PolicyNames: page.items, IsTruncated: page.IsTruncated, Marker: page.Marker };
  }

  AttachGroupPolicy(input: Iam.AttachGroupPolicyRequest, ctx: CallContext): void {
    const group = requireGroup(this.store, ctx.account, input.GroupName);
    attachPolicy(this.store, group, input.PolicyArn, ctx.account, "PoliciesPerGroup", (change) => this.update(ctx, group, change));
  }

  DetachGroupPolicy(input: Iam.DetachGroupPolicyRequest, ctx: CallContext): void {
    const group = requireGroup(this.store, ctx.account, input.GroupName);
    detachPolicy(this.store, group, input.PolicyArn, ctx.account, (change) => this.update(ctx, group, change));
  }

  ListAttachedGroupPolicies(input: Iam.ListAttachedGroupPoliciesRequest, ctx: CallContext): Iam.ListAttachedGroupPoliciesResponse {
    const group = requireGroup(this.store, ctx.account, input.GroupName);
    const page = attachedPolicies(this.store, group, ctx.account, input);
    return { AttachedPolicies: page.items, IsTruncated: page.IsTruncated, Marker: page.Marker };
  }

  private update(ctx: CallContext, group: GroupRecord, change: (g: GroupRecord) => void): void {
    this.store.groups(ctx.account).update(group.GroupName.toLowerCase(), change);
  }
}
