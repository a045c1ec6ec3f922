/**
 * The account's own settings: its password policy (what login profiles'
 * passwords are checked against) and its alias (one per account, unique
 * across accounts; a new one replaces the old, as on AWS).
 */
import type * as Iam from "../../generated/iam.js";
import type { CallContext } from "../types.js";
import { IamErrors } from "./errors.js";
import { POLICY_DEFAULTS } from "./password-policy.js";
import { ACCOUNT_SETTINGS, type AccountSettingsRecord, type IamStore, type PasswordPolicyRecord } from "./store.js";

export class AccountSettingsOperations {
  constructor(private readonly store: IamStore) {}

  GetAccountPasswordPolicy(_input: object, ctx: CallContext): Iam.GetAccountPasswordPolicyResponse {
    const policy = this.settings(ctx).PasswordPolicy;
    if (!policy) throw IamErrors.noSuchPasswordPolicy(ctx.account);
    return {
      PasswordPolicy: {
        MinimumPasswordLength: policy.MinimumPasswordLength,
        RequireSymbols: policy.RequireSymbols,
        RequireNumbers: policy.RequireNumbers,
        RequireUppercaseCharacters: policy.RequireUppercaseCharacters,
        RequireLowercaseCharacters: policy.RequireLowercaseCharacters,
        AllowUsersToChangePassword: policy.AllowUsersToChangePassword,
        ExpirePasswords: (policy.MaxPasswordAge ?? 0) > 0,
        MaxPasswordAge: policy.MaxPasswordAge,
        PasswordReusePrevention: policy.PasswordReusePrevention,
        HardExpiry: policy.HardExpiry,
      },
    };
  }

  /** Replaces the whole policy: parameters left out take their defaults, as on AWS. */
  UpdateAccountPasswordPolicy(input: Iam.UpdateAccountPasswordPolicyRequest, ctx: CallContext): void {
    const d = POLICY_DEFAULTS;
    const policy: PasswordPolicyRecord = {
      MinimumPasswordLength: input.MinimumPasswordLength ?? d.MinimumPasswordLength,
      RequireSymbols: input.RequireSymbols ?? d.RequireSymbols,
      RequireNumbers: input.RequireNumbers ?? d.RequireNumbers,
      RequireUppercaseCharacters: input.RequireUppercaseCharacters ?? d.RequireUppercaseCharacters,
      RequireLowercaseCharacters: input.RequireLowercaseCharacters ?? d.RequireLowercaseCharacters,
      AllowUsersToChangePassword: input.AllowUsersToChangePassword ?? d.AllowUsersToChangePassword,
      MaxPasswordAge: input.MaxPasswordAge,
      PasswordReusePrevention: input.PasswordReusePrevention,
      HardExpiry: input.HardExpiry,
    };
    this.change(ctx, (s) => {
      s.PasswordPolicy = policy;
    });
  }

  DeleteAccountPasswordPolicy(_input: object, ctx: CallContext): void {
    if (!this.settings(ctx).PasswordPolicy) throw IamErrors.noSuchPasswordPolicy(ctx.account);
    this.change(ctx, (s) => {
      delete s.PasswordPolicy;
    });
  }

  ListAccountAliases(_input: Iam.ListAccountAliasesRequest, ctx: CallContext): Iam.ListAccountAliasesResponse {
    const alias = this.settings(ctx).Alias;
    return { AccountAliases: alias ? [alias] : [], IsTruncated: false };
  }

  CreateAccountAlias(input: Iam.CreateAccountAliasRequest, ctx: CallContext): void {
    const own = this.settings(ctx);
    if (own.Alias === input.AccountAlias) return;
    if (this.store.allAccountSettings().some((s) => s.Alias === input.AccountAlias)) throw IamErrors.accountAliasExists(input.AccountAlias);
    this.change(ctx, (s) => {
      s.Alias = input.AccountAlias;
    });
  }

  DeleteAccountAlias(input: Iam.DeleteAccountAliasRequest, ctx: CallContext): void {
    if (this.settings(ctx).Alias !== input.AccountAlias) throw IamErrors.noSuchAccountAlias(input.AccountAlias);
    this.change(ctx, (s) => {
      delete s.Alias;
    });
  }

  private settings(ctx: CallContext): AccountSettingsRecord {
    return this.store.accountSettings(ctx.account).get(ACCOUNT_SETTINGS) ?? {};
  }

  private change(ctx: CallContext, fn: (settings: AccountSettingsRecord) => void): void {
    const next = structuredClone(this.settings(ctx));
    fn(next);
    this.store.accountSettings(ctx.account).put(ACCOUNT_SETTINGS, next);
  }
}
