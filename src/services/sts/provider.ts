/**
 * STS: who am I, and short-term credentials that really work against Stratus
 * (they are registered with the identity store, and strict mode accepts them).
 */
import { decodeAuthorizationFailure } from "./authorization-message.js";
import type { Cloud } from "../../cloud.js";
import { AwsError } from "../../core/errors.js";
import { accessKeyId, secretAccessKey, sessionToken } from "../../core/ids.js";
import type {
  AssumeRoleRequest,
  AssumeRoleResponse,
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
  Tag,
} from "../../generated/sts.js";
import { IamStore } from "../iam/store.js";
import type { CallContext, ServiceProvider } from "../types.js";

type Implemented = Pick<StsOperations, "GetCallerIdentity" | "AssumeRole" | "GetSessionToken" | "GetFederationToken" | "GetAccessKeyInfo" | "DecodeAuthorizationMessage">;

/** An account's root may hold session credentials for at most an hour, as may a role chained from another role. */
const ONE_HOUR = 3600;

function isRoot(principalArn: string): boolean {
  return /^arn:aws[a-z-]*:iam::\d{12}:root$/.test(principalArn);
}

function isSession(principalArn: string): boolean {
  return principalArn.includes(":assumed-role/") || principalArn.includes(":federated-user/");
}

/** STS answers an ARN it cannot parse (no partition, service or resource) with "<arn> is invalid". */
function checkArn(value: string): void {
  const parts = value.split(":");
  if (parts.length < 6 || parts[0] !== "arn" || !parts[1] || !parts[2] || !parts.slice(5).join(":")) {
    throw new AwsError("ValidationError", `${value} is invalid`, { status: 400 });
  }
}

/** Session policies must be JSON; STS reports the parser's complaint as MalformedPolicyDocument. */
function checkSessionPolicy(policy: string | undefined): void {
  if (policy === undefined) return;
  try {
    JSON.parse(policy);
  } catch (error) {
    throw new AwsError("MalformedPolicyDocument", (error as Error).message, { status: 400 });
  }
}

/** Session tags: keys are unique regardless of case, and transitive keys must be among them. */
function checkSessionTags(tags: Tag[] | undefined, transitive: string[] | undefined): void {
  const keys = new Set<string>();
  for (const tag of tags ?? []) {
    const key = tag.Key.toLowerCase();
    if (keys.has(key)) throw new AwsError("InvalidParameterValue", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", { status: 400 });
    keys.add(key);
  }
  for (const key of transitive ?? []) {
    if (!keys.has(key.toLowerCase())) throw new AwsError("InvalidParameterValue", "The specified transitive tag key must be included in the requested tags.", { status: 400 });
  }
}

/** How full the packed session policy and tags are, in percent (AWS answers it only when either is given). */
function packedSize(policy: string | undefined, tags: Tag[] | undefined, policyArns: unknown[] | undefined): number | undefined {
  if (policy === undefined && !tags?.length && !policyArns?.length) return undefined;
  const tagBytes = (tags ?? []).reduce((n, t) => n + t.Key.length + t.Value.length, 0);
  return Math.min(100, Math.ceil((((policy ?? "").replace(/\s+/g, "").length + tagBytes) / 2048) * 100));
}

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
    checkArn(input.RoleArn);
    checkSessionPolicy(input.Policy);
    checkSessionTags(input.Tags, input.TransitiveTagKeys);
    const role = this.iam.findRole(ctx.account, input.RoleArn);
    if (!role) {
      throw new AwsError("AccessDenied", `User: ${ctx.principalArn} is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`, { status: 403 });
    }
    const duration = input.DurationSeconds ?? 3600;
    if (ctx.principalArn.includes(":assumed-role/") && duration > ONE_HOUR) {
      throw new AwsError("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.", { status: 400 });
    }
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
      PackedPolicySize: packedSize(input.Policy, input.Tags, input.PolicyArns),
      SourceIdentity: input.SourceIdentity,
    };
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
    return { Credentials: this.issue(caller.account, caller.principalArn, caller.userId, duration) };
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
      Credentials: this.issue(caller.account, arn, userId, duration),
      FederatedUser: { FederatedUserId: userId, Arn: arn },
      PackedPolicySize: packedSize(input.Policy, input.Tags, input.PolicyArns) ?? 0,
    };
  }

  /** The account an access key belongs to (any key: unknown ones map to an account as signing does). */
  GetAccessKeyInfo(input: GetAccessKeyInfoRequest): GetAccessKeyInfoResponse {
    return { Account: this.cloud.identity.caller(input.AccessKeyId).account };
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
