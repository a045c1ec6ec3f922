/**
 * STS: who am I, and short-term credentials that really work against Stratus
 * (they are registered with the identity store, and strict mode accepts them).
 * Roles are assumed as their trust policies allow (role-access.ts), also
 * with an OpenID Connect token (web-identity.ts).
 */
import { decodeAuthorizationFailure } from "./authorization-message.js";
import type { Cloud } from "../../cloud.js";
import { AwsError, CommonErrors } from "../../core/errors.js";
import type {
  AssumeRoleRequest,
  AssumeRoleResponse,
  AssumeRoleWithWebIdentityRequest,
  AssumeRoleWithWebIdentityResponse,
  GetAccessKeyInfoRequest,
  GetAccessKeyInfoResponse,
  GetCallerIdentityResponse,
  DecodeAuthorizationMessageRequest,
  DecodeAuthorizationMessageResponse,
  GetFederationTokenRequest,
  GetFederationTokenResponse,
  GetSessionTokenRequest,
  GetSessionTokenResponse,
  StsOperations,
} from "../../generated/sts.js";
import { IamStore } from "../iam/store.js";
import type { CallContext, ServiceProvider } from "../types.js";
import { checkArn, checkSessionPolicy, checkSessionTags, packedSize } from "./request-checks.js";
import { issueRoleSession, issueSession, sessionDuration } from "./sessions.js";
import type { WebIdentity } from "./web-identity.js";

type Implemented = Pick<
  StsOperations,
  "GetCallerIdentity" | "AssumeRole" | "AssumeRoleWithWebIdentity" | "GetSessionToken" | "GetFederationToken" | "GetAccessKeyInfo" | "DecodeAuthorizationMessage"
>;

/** An account's root may hold session credentials for at most an hour, as may a role chained from another role. */
const ONE_HOUR = 3600;

function isRoot(principalArn: string): boolean {
  return /^arn:aws[a-z-]*:iam::\d{12}:root$/.test(principalArn);
}

function isSession(principalArn: string): boolean {
  return principalArn.includes(":assumed-role/") || principalArn.includes(":federated-user/");
}

export class StsProvider implements ServiceProvider, Implemented {
  private readonly iam: IamStore;
  private webIdentity: WebIdentity | undefined;

  constructor(readonly cloud: Cloud) {
    this.iam = new IamStore(cloud);
  }

  GetCallerIdentity(_input: object, ctx: CallContext): GetCallerIdentityResponse {
    const caller = this.cloud.identity.caller(ctx.accessKeyId);
    return { UserId: caller.userId, Account: caller.account, Arn: caller.principalArn };
  }

  /** Decided by the role's trust policy, and for IAM principals by their identity policies too (role-access.ts). */
  async AssumeRole(input: AssumeRoleRequest, ctx: CallContext): Promise<AssumeRoleResponse> {
    // Only AssumeRoleWithWebIdentity (and WithSAML) may come unsigned: nobody may assume a role anonymously.
    if (ctx.anonymous) throw CommonErrors.missingAuthentication();
    checkArn(input.RoleArn);
    checkSessionPolicy(input.Policy);
    checkSessionTags(input.Tags, input.TransitiveTagKeys);
    const role = this.iam.findRole(ctx.account, input.RoleArn);
    // Loaded on first use, as the policy engine is: GetCallerIdentity needs none of it.
    const { authorizeAssumeRole } = await import("./role-access.js");
    authorizeAssumeRole(this.cloud, this.iam, ctx, {
      role,
      roleArn: input.RoleArn,
      sessionName: input.RoleSessionName,
      externalId: input.ExternalId,
      sourceIdentity: input.SourceIdentity,
      tags: input.Tags,
      transitiveTagKeys: input.TransitiveTagKeys,
    });
    if (ctx.principalArn.includes(":assumed-role/") && (input.DurationSeconds ?? 3600) > ONE_HOUR) {
      throw new AwsError("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.", { status: 400 });
    }
    const session = issueRoleSession(this.cloud, role!, input.RoleSessionName, sessionDuration(role!, input.DurationSeconds));
    return { ...session, PackedPolicySize: packedSize(input.Policy, input.Tags, input.PolicyArns), SourceIdentity: input.SourceIdentity };
  }

  /** Unsigned, as the SDKs send it: the web identity token is the credential (web-identity.ts). */
  async AssumeRoleWithWebIdentity(input: AssumeRoleWithWebIdentityRequest, ctx: CallContext): Promise<AssumeRoleWithWebIdentityResponse> {
    this.webIdentity ??= new (await import("./web-identity.js")).WebIdentity(this.cloud, this.iam);
    return this.webIdentity.assume(input, ctx);
  }

  /** EC2's encoded authorization failure messages, for callers of the same account whose policies allow it. */
  async DecodeAuthorizationMessage(input: DecodeAuthorizationMessageRequest, ctx: CallContext): Promise<DecodeAuthorizationMessageResponse> {
    const { globalContext, identityDecision } = await import("../iam/enforce.js");
    const request = { principalArn: ctx.principalArn, action: "sts:DecodeAuthorizationMessage", context: globalContext(this.cloud, { ...ctx, principalArn: ctx.principalArn }) };
    const decision = identityDecision(this.cloud, request);
    if (decision === "Deny" || decision === "Neutral") {
      throw new AwsError("AccessDenied", `User: ${ctx.principalArn} is not authorized to perform: sts:DecodeAuthorizationMessage`, { status: 403 });
    }
    const decoded = decodeAuthorizationFailure(this.cloud, ctx.account, input.EncodedMessage);
    if (decoded === undefined) {
      throw new AwsError("InvalidAuthorizationMessageException", "The authorization message is invalid or was not issued for this account.", { status: 400 });
    }
    return { DecodedMessage: decoded };
  }

  GetSessionToken(input: GetSessionTokenRequest, ctx: CallContext): GetSessionTokenResponse {
    const caller = this.cloud.identity.caller(ctx.accessKeyId);
    if (isSession(caller.principalArn)) {
      throw new AwsError("AccessDenied", "Cannot call GetSessionToken with session credentials", { status: 403 });
    }
    // An account's root gets at most (and by default) one hour; IAM users 12 hours by default.
    const requested = input.DurationSeconds ?? 43200;
    const duration = isRoot(caller.principalArn) ? Math.min(requested, ONE_HOUR) : requested;
    return { Credentials: issueSession(this.cloud, caller.account, caller.principalArn, caller.userId, duration) };
  }

  GetFederationToken(input: GetFederationTokenRequest, ctx: CallContext): GetFederationTokenResponse {
    const caller = this.cloud.identity.caller(ctx.accessKeyId);
    if (isSession(caller.principalArn)) {
      throw new AwsError("AccessDenied", "Cannot call GetFederationToken with session credentials", { status: 403 });
    }
    checkSessionPolicy(input.Policy);
    checkSessionTags(input.Tags, undefined);
    const requested = input.DurationSeconds ?? 43200;
    const duration = isRoot(caller.principalArn) ? Math.min(requested, ONE_HOUR) : requested;
    const arn = `arn:aws:sts::${caller.account}:federated-user/${input.Name}`;
    const userId = `${caller.account}:${input.Name}`;
    return {
      Credentials: issueSession(this.cloud, caller.account, arn, userId, duration),
      FederatedUser: { FederatedUserId: userId, Arn: arn },
      PackedPolicySize: packedSize(input.Policy, input.Tags, input.PolicyArns) ?? 0,
    };
  }

  /** The account an access key belongs to (any key: unknown ones map to an account as signing does). */
  GetAccessKeyInfo(input: GetAccessKeyInfoRequest): GetAccessKeyInfoResponse {
    return { Account: this.cloud.identity.caller(input.AccessKeyId).account };
  }
}
