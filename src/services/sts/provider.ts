/**
 * STS: who am I, and short-term credentials that really work against Stratus
 * (they are registered with the identity store, and strict mode accepts them).
 */
import type { Cloud } from "../../cloud.js";
import { AwsError } from "../../core/errors.js";
import { accessKeyId, secretAccessKey, sessionToken } from "../../core/ids.js";
import type {
  AssumeRoleRequest,
  AssumeRoleResponse,
  GetCallerIdentityResponse,
  GetSessionTokenRequest,
  GetSessionTokenResponse,
  StsOperations,
} from "../../generated/sts.js";
import { IamStore } from "../iam/store.js";
import type { CallContext, ServiceProvider } from "../types.js";

type Implemented = Pick<StsOperations, "GetCallerIdentity" | "AssumeRole" | "GetSessionToken">;

export class StsProvider implements ServiceProvider, Implemented {
  private readonly iam: IamStore;

  constructor(readonly cloud: Cloud) {
    this.iam = new IamStore(cloud);
  }

  GetCallerIdentity(_input: object, ctx: CallContext): GetCallerIdentityResponse {
    const caller = this.cloud.identity.caller(ctx.accessKeyId);
    return { UserId: caller.userId, Account: caller.account, Arn: caller.principalArn };
  }

  AssumeRole(input: AssumeRoleRequest, ctx: CallContext): AssumeRoleResponse {
    const role = this.iam.findRole(ctx.account, input.RoleArn);
    if (!role) {
      throw new AwsError("AccessDenied", `User: ${ctx.principalArn} is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`, { status: 403 });
    }
    const duration = input.DurationSeconds ?? 3600;
    if (duration > role.MaxSessionDuration) {
      throw new AwsError(
        "ValidationError",
        `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
        { status: 400 },
      );
    }
    const account = role.Arn.split(":")[4];
    const sessionArn = `arn:aws:sts::${account}:assumed-role/${role.RoleName}/${input.RoleSessionName}`;
    const userId = `${role.RoleId}:${input.RoleSessionName}`;
    const credentials = this.issue(account, sessionArn, userId, duration);
    return {
      Credentials: credentials,
      AssumedRoleUser: { AssumedRoleId: userId, Arn: sessionArn },
      PackedPolicySize: input.Policy ? Math.min(100, Math.ceil((input.Policy.length / 2048) * 100)) : undefined,
      SourceIdentity: input.SourceIdentity,
    };
  }

  GetSessionToken(input: GetSessionTokenRequest, ctx: CallContext): GetSessionTokenResponse {
    const caller = this.cloud.identity.caller(ctx.accessKeyId);
    if (caller.principalArn.includes(":assumed-role/")) {
      throw new AwsError("AccessDenied", "Cannot call GetSessionToken with session credentials", { status: 403 });
    }
    const duration = input.DurationSeconds ?? 43200;
    return { Credentials: this.issue(caller.account, caller.principalArn, caller.userId, duration) };
  }

  private issue(account: string, principalArn: string, userId: string, durationSeconds: number) {
    const expiration = new Date(this.cloud.clock.now() + durationSeconds * 1000);
    const issued = {
      accessKeyId: accessKeyId("ASIA"),
      secretAccessKey: secretAccessKey(),
      sessionToken: sessionToken(),
      account,
      principalArn,
      userId,
      expiration: expiration.getTime(),
    };
    this.cloud.identity.issue(issued);
    return { AccessKeyId: issued.accessKeyId, SecretAccessKey: issued.secretAccessKey, SessionToken: issued.sessionToken, Expiration: expiration };
  }
}
