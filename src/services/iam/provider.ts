/**
 * IAM as the exercise uses it: roles with trust policies, inline and managed
 * policies, instance profiles. Stored now; enforcement can come later.
 */
import type { Cloud } from "../../cloud.js";
import { AwsError } from "../../core/errors.js";
import { iamUniqueId } from "../../core/ids.js";
import type { CreateRoleRequest, CreateRoleResponse, GetRoleRequest, GetRoleResponse, IamOperations, Role } from "../../generated/iam.js";
import type { CallContext, ServiceProvider } from "../types.js";
import { IamStore, type RoleRecord } from "./store.js";

type Implemented = Pick<IamOperations, "CreateRole" | "GetRole">;

export class IamProvider implements ServiceProvider, Implemented {
  readonly store: IamStore;

  constructor(readonly cloud: Cloud) {
    this.store = new IamStore(cloud);
  }

  CreateRole(input: CreateRoleRequest, ctx: CallContext): CreateRoleResponse {
    const roles = this.store.roles(ctx.account);
    if (roles.has(input.RoleName.toLowerCase())) {
      throw new AwsError("EntityAlreadyExists", `Role with name ${input.RoleName} already exists.`, { status: 409 });
    }
    const path = input.Path ?? "/";
    const record: RoleRecord = {
      RoleName: input.RoleName,
      RoleId: iamUniqueId("AROA"),
      Arn: `arn:aws:iam::${ctx.account}:role${path}${input.RoleName}`,
      Path: path,
      CreateDate: this.cloud.clock.date(),
      AssumeRolePolicyDocument: input.AssumeRolePolicyDocument,
      Description: input.Description,
      MaxSessionDuration: input.MaxSessionDuration ?? 3600,
      PermissionsBoundaryArn: input.PermissionsBoundary,
      Tags: input.Tags ?? [],
      InlinePolicies: {},
      AttachedPolicyArns: [],
    };
    roles.put(input.RoleName.toLowerCase(), record);
    return { Role: toRole(record) };
  }

  GetRole(input: GetRoleRequest, ctx: CallContext): GetRoleResponse {
    const record = this.store.findRole(ctx.account, input.RoleName);
    if (!record) throw new AwsError("NoSuchEntity", `The role with name ${input.RoleName} cannot be found.`, { status: 404 });
    return { Role: toRole(record) };
  }
}

function toRole(record: RoleRecord): Role {
  return {
    Path: record.Path,
    RoleName: record.RoleName,
    RoleId: record.RoleId,
    Arn: record.Arn,
    CreateDate: record.CreateDate,
    AssumeRolePolicyDocument: encodeURIComponent(record.AssumeRolePolicyDocument),
    Description: record.Description,
    MaxSessionDuration: record.MaxSessionDuration,
    Tags: record.Tags.length ? record.Tags : undefined,
  };
}
