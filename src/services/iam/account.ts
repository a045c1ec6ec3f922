/** Account-level reads tools ask for: the summary of entities and quotas, key usage (aliases: account-settings.ts). */
import type * as Iam from "../../generated/iam.js";
import type { CallContext } from "../types.js";
import { IamErrors } from "./errors.js";
import { policyUsage } from "./lookup.js";
import { awsManagedPolicies } from "./managed-catalogue.js";
import { POLICY_QUOTAS } from "./policy-document.js";
import type { IamStore } from "./store.js";

export class AccountOperations {
  constructor(private readonly store: IamStore) {}

  GetAccountSummary(_input: object, ctx: CallContext): Iam.GetAccountSummaryResponse {
    const a = ctx.account;
    const local = this.store.policies(a).values();
    let versionsInUse = 0;
    for (const p of local) if (policyUsage(this.store, a, p.Arn).attachments > 0) versionsInUse += p.Versions.length;
    for (const p of awsManagedPolicies()) if (policyUsage(this.store, a, p.Arn).attachments > 0) versionsInUse += 1;
    const rootKeys = this.store.accessKeys(a).values().filter((k) => k.UserName === "").length;
    return {
      SummaryMap: {
        Users: this.store.users(a).size,
        UsersQuota: 5000,
        Roles: this.store.roles(a).size,
        RolesQuota: 1000,
        Policies: local.length,
        PoliciesQuota: 1500,
        InstanceProfiles: this.store.instanceProfiles(a).size,
        InstanceProfilesQuota: 1000,
        PolicyVersionsInUse: versionsInUse,
        PolicyVersionsInUseQuota: 10000,
        VersionsPerPolicyQuota: 5,
        AttachedPoliciesPerRoleQuota: 10,
        AttachedPoliciesPerUserQuota: 10,
        AttachedPoliciesPerGroupQuota: 10,
        AccessKeysPerUserQuota: 2,
        PolicySizeQuota: POLICY_QUOTAS.managedPolicySize,
        RolePolicySizeQuota: POLICY_QUOTAS.roleInlinePolicySize,
        UserPolicySizeQuota: POLICY_QUOTAS.userInlinePolicySize,
        AssumeRolePolicySizeQuota: POLICY_QUOTAS.trustPolicySize,
        GroupPolicySizeQuota: POLICY_QUOTAS.groupInlinePolicySize,
        Groups: this.store.groups(a).size,
        GroupsQuota: 300,
        GroupsPerUserQuota: 10,
        ServerCertificates: 0,
        ServerCertificatesQuota: 20,
        SigningCertificatesPerUserQuota: 2,
        MFADevices: 0,
        MFADevicesInUse: 0,
        AccountMFAEnabled: 0,
        AccountAccessKeysPresent: rootKeys > 0 ? 1 : 0,
        AccountPasswordPresent: 0,
        AccountSigningCertificatesPresent: 0,
        Providers: 0,
        GlobalEndpointTokenVersion: 1,
      },
    };
  }

  GetAccessKeyLastUsed(input: Iam.GetAccessKeyLastUsedRequest, ctx: CallContext): Iam.GetAccessKeyLastUsedResponse {
    const key = this.store.accessKeys(ctx.account).get(input.AccessKeyId);
    if (!key) throw IamErrors.noSuchAccessKey(input.AccessKeyId);
    // Stratus does not track key usage: AWS's answer for a key never used.
    return { UserName: key.UserName || undefined, AccessKeyLastUsed: { ServiceName: "N/A", Region: "N/A" } };
  }
}
