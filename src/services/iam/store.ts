/**
 * IAM's records, kept per account (IAM is global: region "global"). Other
 * services look roles and instance profiles up through IamStore. Records are
 * keyed by lower-cased name: IAM names are unique regardless of case.
 */
import type { Cloud } from "../../cloud.js";
import { parseArn } from "../../core/ids.js";
import type { ScopedCollection } from "../../state/documents.js";

export interface TagRecord {
  Key: string;
  Value: string;
}

export interface RoleRecord {
  RoleName: string;
  RoleId: string;
  Arn: string;
  Path: string;
  CreateDate: Date;
  /** The trust policy as the caller sent it (decoded JSON text). */
  AssumeRolePolicyDocument: string;
  Description?: string;
  MaxSessionDuration: number;
  PermissionsBoundaryArn?: string;
  Tags: TagRecord[];
  /** Inline policies by name: the document text. */
  InlinePolicies: Record<string, string>;
  /** ARNs of attached managed policies, in attach order. */
  AttachedPolicyArns: string[];
  /** Set on roles made by CreateServiceLinkedRole: only "the service" may change them. */
  ServiceLinked?: { ServiceName: string };
}

export interface InstanceProfileRecord {
  InstanceProfileName: string;
  InstanceProfileId: string;
  Arn: string;
  Path: string;
  CreateDate: Date;
  /** Role names (at most one). */
  Roles: string[];
  Tags: TagRecord[];
}

export interface PolicyVersionRecord {
  VersionId: string;
  Document: string;
  CreateDate: Date;
}

/** A customer managed policy (AWS managed ones come from the catalogue). */
export interface ManagedPolicyRecord {
  PolicyName: string;
  PolicyId: string;
  Arn: string;
  Path: string;
  Description?: string;
  CreateDate: Date;
  UpdateDate: Date;
  DefaultVersionId: string;
  Versions: PolicyVersionRecord[];
  /** The highest version number ever used: ids are never reused. */
  LastVersion: number;
  Tags: TagRecord[];
}

export interface UserRecord {
  UserName: string;
  UserId: string;
  Arn: string;
  Path: string;
  CreateDate: Date;
  PermissionsBoundaryArn?: string;
  Tags: TagRecord[];
  InlinePolicies: Record<string, string>;
  AttachedPolicyArns: string[];
  /** The user's console password (CreateLoginProfile), kept only as salted hashes. */
  LoginProfile?: LoginProfileRecord;
}

export interface LoginProfileRecord {
  CreateDate: Date;
  PasswordResetRequired: boolean;
  /** Hashes of the current and earlier passwords, newest first (for PasswordReusePrevention). */
  PasswordHashes: string[];
}

export interface GroupRecord {
  GroupName: string;
  GroupId: string;
  Arn: string;
  Path: string;
  CreateDate: Date;
  InlinePolicies: Record<string, string>;
  AttachedPolicyArns: string[];
  /** Member user names, in the order they were added. */
  Users: string[];
}

/** What UpdateAccountPasswordPolicy set; absent fields take AWS's defaults. */
export interface PasswordPolicyRecord {
  MinimumPasswordLength: number;
  RequireSymbols: boolean;
  RequireNumbers: boolean;
  RequireUppercaseCharacters: boolean;
  RequireLowercaseCharacters: boolean;
  AllowUsersToChangePassword: boolean;
  MaxPasswordAge?: number;
  PasswordReusePrevention?: number;
  HardExpiry?: boolean;
}

/** The account's own settings: its alias and password policy. */
export interface AccountSettingsRecord {
  Alias?: string;
  PasswordPolicy?: PasswordPolicyRecord;
}

/** A DeleteServiceLinkedRole task, by its id. */
export interface DeletionTaskRecord {
  DeletionTaskId: string;
  Status: "SUCCEEDED" | "IN_PROGRESS" | "FAILED" | "NOT_STARTED";
}

/** An IAM OpenID Connect provider: the issuer whose tokens AssumeRoleWithWebIdentity accepts. */
export interface OidcProviderRecord {
  /** The issuer without its scheme ("host[:port]/path"): its name in its ARN and in condition keys. */
  Name: string;
  Arn: string;
  /** "https", or "http" for a local issuer (which AWS would refuse). */
  Scheme: "https" | "http";
  ClientIDList: string[];
  ThumbprintList: string[];
  CreateDate: Date;
  Tags: TagRecord[];
}

export interface AccessKeyRecord {
  AccessKeyId: string;
  /** Empty for the account root's own keys. */
  UserName: string;
  Status: "Active" | "Inactive";
  CreateDate: Date;
  SecretAccessKey: string;
}

export const GLOBAL = "global";
/** The id of an account's one settings record. */
export const ACCOUNT_SETTINGS = "settings";

export class IamStore {
  constructor(private readonly cloud: Cloud) {}

  private collection<T>(kind: string, account: string): ScopedCollection<T> {
    return this.cloud.documents.collection<T>("iam", kind).scope({ account, region: GLOBAL });
  }

  roles(account: string): ScopedCollection<RoleRecord> {
    return this.collection("roles", account);
  }

  instanceProfiles(account: string): ScopedCollection<InstanceProfileRecord> {
    return this.collection("instance-profiles", account);
  }

  /** Customer managed policies, keyed by lower-cased name (names are unique in an account). */
  policies(account: string): ScopedCollection<ManagedPolicyRecord> {
    return this.collection("policies", account);
  }

  users(account: string): ScopedCollection<UserRecord> {
    return this.collection("users", account);
  }

  groups(account: string): ScopedCollection<GroupRecord> {
    return this.collection("groups", account);
  }

  /** One record per account, under the id ACCOUNT_SETTINGS. */
  accountSettings(account: string): ScopedCollection<AccountSettingsRecord> {
    return this.collection("account-settings", account);
  }

  /** Every account's settings (aliases are unique across accounts). */
  allAccountSettings(): AccountSettingsRecord[] {
    const kind = this.cloud.documents.collection<AccountSettingsRecord>("iam", "account-settings");
    return kind.scopes().flatMap((scope) => kind.scope(scope).values());
  }

  deletionTasks(account: string): ScopedCollection<DeletionTaskRecord> {
    return this.collection("deletion-tasks", account);
  }

  /** The groups a user is in. */
  groupsOfUser(account: string, userName: string): GroupRecord[] {
    const key = userName.toLowerCase();
    return this.groups(account).values().filter((g) => g.Users.some((u) => u.toLowerCase() === key));
  }

  /** Access keys by access key id. */
  accessKeys(account: string): ScopedCollection<AccessKeyRecord> {
    return this.collection("access-keys", account);
  }

  /** OpenID Connect providers, keyed by name (the issuer without its scheme). */
  oidcProviders(account: string): ScopedCollection<OidcProviderRecord> {
    return this.collection("oidc-providers", account);
  }

  /** A role by name or ARN; an ARN names its own account. */
  findRole(account: string, nameOrArn: string): RoleRecord | undefined {
    const arn = parseArn(nameOrArn);
    if (arn) {
      const name = arn.resource.startsWith("role/") ? arn.resource.split("/").pop()! : undefined;
      return name ? this.roles(arn.account || account).get(name.toLowerCase()) : undefined;
    }
    return this.roles(account).get(nameOrArn.toLowerCase());
  }

  /** An instance profile by name or ARN. */
  findInstanceProfile(account: string, nameOrArn: string): InstanceProfileRecord | undefined {
    const arn = parseArn(nameOrArn);
    if (arn) {
      const name = arn.resource.startsWith("instance-profile/") ? arn.resource.split("/").pop()! : undefined;
      return name ? this.instanceProfiles(arn.account || account).get(name.toLowerCase()) : undefined;
    }
    return this.instanceProfiles(account).get(nameOrArn.toLowerCase());
  }

  /** The role an instance profile carries, if any (what an instance's IMDS credentials act as). */
  roleOfInstanceProfile(account: string, nameOrArn: string): RoleRecord | undefined {
    const profile = this.findInstanceProfile(account, nameOrArn);
    const roleName = profile?.Roles[0];
    return roleName ? this.roles(parseArn(profile.Arn)?.account || account).get(roleName.toLowerCase()) : undefined;
  }
}
