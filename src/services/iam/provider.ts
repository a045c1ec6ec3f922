/**
 * IAM as the exercise uses it: roles with trust policies, inline and managed
 * policies (AWS's catalogue and the account's own, with versions), instance
 * profiles, users, groups, access keys and login profiles, service-linked
 * roles, OpenID Connect providers, the account's password policy and alias;
 * identity policies are enforced (enforce.ts) and can be simulated
 * (simulation.ts), trust policies evaluated (trust.ts).
 * The provider merges the operations of small modules, one per family.
 */
import type { Cloud } from "../../cloud.js";
import type { IamOperations } from "../../generated/iam.js";
import { composeOperations } from "../compose.js";
import type { ServiceProvider } from "../types.js";
import { AccountSettingsOperations } from "./account-settings.js";
import { AccountOperations } from "./account.js";
import { AttachmentOperations } from "./attachments.js";
import { AuthorizationDetailsOperations } from "./authorization-details.js";
import { GroupPolicyOperations } from "./group-policies.js";
import { GroupOperations } from "./groups.js";
import { InlinePolicyOperations } from "./inline-policies.js";
import { InstanceProfileOperations } from "./instance-profiles.js";
import { LoginProfileOperations } from "./login-profiles.js";
import { OidcProviderOperations } from "./oidc-providers.js";
import { PolicyOperations } from "./policies.js";
import { RoleOperations } from "./roles.js";
import { ServiceLinkedRoleOperations } from "./service-linked-roles.js";
import { SimulationOperations } from "./simulation.js";
import { IamStore } from "./store.js";
import { UserOperations } from "./users.js";

export class IamProvider implements ServiceProvider {
  readonly store: IamStore;

  constructor(readonly cloud: Cloud) {
    this.store = new IamStore(cloud);
    const modules = [
      new RoleOperations(cloud, this.store),
      new InlinePolicyOperations(this.store),
      new PolicyOperations(cloud, this.store),
      new AttachmentOperations(this.store),
      new InstanceProfileOperations(cloud, this.store),
      new UserOperations(cloud, this.store),
      new LoginProfileOperations(cloud, this.store),
      new GroupOperations(cloud, this.store),
      new GroupPolicyOperations(this.store),
      new ServiceLinkedRoleOperations(cloud, this.store),
      new OidcProviderOperations(cloud, this.store),
      new AccountOperations(this.store),
      new AccountSettingsOperations(this.store),
      new AuthorizationDetailsOperations(this.store),
      new SimulationOperations(this.store),
    ] satisfies Array<Partial<IamOperations>>;
    composeOperations(this, modules);
  }
}
