/**
 * IAM's records, kept per account (IAM is global: region "global"). Other
 * services look roles and instance profiles up through IamStore.
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

export const GLOBAL = "global";

export class IamStore {
  constructor(private readonly cloud: Cloud) {}

  roles(account: string): ScopedCollection<RoleRecord> {
    return this.cloud.documents.collection<RoleRecord>("iam", "roles").scope({ account, region: GLOBAL });
  }

  instanceProfiles(account: string): ScopedCollection<InstanceProfileRecord> {
    return this.cloud.documents.collection<InstanceProfileRecord>("iam", "instance-profiles").scope({ account, region: GLOBAL });
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
}
