/**
 * Who may call KMS. For IAM users and role sessions Stratus enforces identity
 * policies (src/services/iam/enforce.ts); KMS does it here rather than in the
 * handler chain (its definition says `identityPolicies: "provider"`) for two
 * reasons: a request's resource is its key's ARN, so `Resource` in a policy
 * matches as on AWS; and a permission can come from a grant. A request is
 * allowed when an identity policy allows it and none denies it, or, with no
 * policy either way, when a grant on the key names the caller (a user, a role
 * or that role's sessions) and the operation, and its encryption context
 * constraints hold. An explicit Deny wins over grants.
 *
 * Key policies are stored, not evaluated: every key behaves as if it had the
 * default key policy, which lets the account's IAM policies decide.
 *
 * The table says, per operation, which IAM action on which key a request
 * needs: ReEncrypt needs kms:ReEncryptFrom on its source and kms:ReEncryptTo
 * on its destination, as on AWS. CreateGrant and RetireGrant decide for
 * themselves (grants limit what a grant-given CreateGrant may create; a grant
 * says who may retire it).
 */
import type { Cloud } from "../../cloud.js";
import type { IdentityDecision, IdentityRequest } from "../iam/enforce.js";
import type { CallContext } from "../types.js";
import { KmsErrors } from "./errors.js";
import type { CreateGrantAuthority, Grants } from "./grants.js";
import type { KeyRing } from "./keys.js";
import type { KeyRecord } from "./store.js";

export type ImplementedOperation =
  | "CreateKey" | "DescribeKey" | "ListKeys" | "EnableKey" | "DisableKey" | "ScheduleKeyDeletion" | "CancelKeyDeletion"
  | "UpdateKeyDescription" | "CreateAlias" | "UpdateAlias" | "DeleteAlias" | "ListAliases" | "Encrypt" | "Decrypt"
  | "ReEncrypt" | "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext" | "GenerateRandom" | "TagResource"
  | "UntagResource" | "ListResourceTags" | "GetKeyPolicy" | "PutKeyPolicy" | "ListKeyPolicies"
  | "EnableKeyRotation" | "DisableKeyRotation" | "GetKeyRotationStatus" | "RotateKeyOnDemand" | "ListKeyRotations"
  | "Sign" | "Verify" | "GetPublicKey" | "GenerateDataKeyPair" | "GenerateDataKeyPairWithoutPlaintext"
  | "GenerateMac" | "VerifyMac" | "CreateGrant" | "ListGrants" | "ListRetirableGrants" | "RetireGrant" | "RevokeGrant";

/** One permission a request needs: an action, on the key `ref` (or the ciphertext `blob`) names, if any. */
interface Need {
  action: string;
  ref?: string;
  blob?: Buffer;
  context?: Record<string, string>;
}

// Inputs are the operations' request shapes; the table reads a few members of each.
type Input = any;

const onKey = (action: string) => (input: Input): Need[] => [{ action, ref: input.KeyId }];
const withContext = (action: string) => (input: Input): Need[] => [{ action, ref: input.KeyId, context: input.EncryptionContext }];
const noKey = (action: string) => (): Need[] => [{ action }];

export const ACCESS: Record<ImplementedOperation, ((input: Input) => Need[]) | "self"> = {
  CreateKey: noKey("CreateKey"),
  DescribeKey: onKey("DescribeKey"),
  ListKeys: noKey("ListKeys"),
  EnableKey: onKey("EnableKey"),
  DisableKey: onKey("DisableKey"),
  ScheduleKeyDeletion: onKey("ScheduleKeyDeletion"),
  CancelKeyDeletion: onKey("CancelKeyDeletion"),
  UpdateKeyDescription: onKey("UpdateKeyDescription"),
  CreateAlias: (input) => [{ action: "CreateAlias", ref: input.TargetKeyId }],
  UpdateAlias: (input) => [{ action: "UpdateAlias", ref: input.TargetKeyId }],
  DeleteAlias: (input) => [{ action: "DeleteAlias", ref: input.AliasName }],
  ListAliases: noKey("ListAliases"),
  Encrypt: withContext("Encrypt"),
  Decrypt: (input) => [{ action: "Decrypt", ref: input.KeyId, blob: input.CiphertextBlob, context: input.EncryptionContext }],
  ReEncrypt: (input) => [
    { action: "ReEncryptFrom", ref: input.SourceKeyId, blob: input.CiphertextBlob, context: input.SourceEncryptionContext },
    { action: "ReEncryptTo", ref: input.DestinationKeyId, context: input.DestinationEncryptionContext },
  ],
  GenerateDataKey: withContext("GenerateDataKey"),
  GenerateDataKeyWithoutPlaintext: withContext("GenerateDataKeyWithoutPlaintext"),
  GenerateDataKeyPair: withContext("GenerateDataKeyPair"),
  GenerateDataKeyPairWithoutPlaintext: withContext("GenerateDataKeyPairWithoutPlaintext"),
  GenerateRandom: noKey("GenerateRandom"),
  TagResource: onKey("TagResource"),
  UntagResource: onKey("UntagResource"),
  ListResourceTags: onKey("ListResourceTags"),
  GetKeyPolicy: onKey("GetKeyPolicy"),
  PutKeyPolicy: onKey("PutKeyPolicy"),
  ListKeyPolicies: onKey("ListKeyPolicies"),
  EnableKeyRotation: onKey("EnableKeyRotation"),
  DisableKeyRotation: onKey("DisableKeyRotation"),
  GetKeyRotationStatus: onKey("GetKeyRotationStatus"),
  RotateKeyOnDemand: onKey("RotateKeyOnDemand"),
  ListKeyRotations: onKey("ListKeyRotations"),
  Sign: onKey("Sign"),
  Verify: onKey("Verify"),
  GetPublicKey: onKey("GetPublicKey"),
  GenerateMac: onKey("GenerateMac"),
  VerifyMac: onKey("VerifyMac"),
  CreateGrant: "self",
  ListGrants: onKey("ListGrants"),
  ListRetirableGrants: noKey("ListRetirableGrants"),
  RetireGrant: "self",
  RevokeGrant: onKey("RevokeGrant"),
};

/** Principals whose identity policies apply: IAM users and assumed-role sessions (not an account root). */
const IAM_PRINCIPAL = /^arn:aws[a-z-]*:(iam::\d{12}:user\/|sts::\d{12}:assumed-role\/)/;

export function isIamPrincipal(principalArn: string): boolean {
  return IAM_PRINCIPAL.test(principalArn);
}

export class Access {
  constructor(
    private readonly cloud: Cloud,
    private readonly ring: KeyRing,
    private readonly grants: Grants,
  ) {}

  /** Throws AccessDeniedException (or InvalidGrantTokenException) when the caller may not make this request. */
  async authorize(operation: ImplementedOperation, input: Input, ctx: CallContext): Promise<void> {
    this.grants.checkTokens(input?.GrantTokens);
    const rule = ACCESS[operation];
    if (rule === "self" || !isIamPrincipal(ctx.principalArn)) return;
    const scope = { account: ctx.account, region: ctx.region };
    for (const need of rule(input ?? {})) {
      const key = need.ref !== undefined ? this.ring.find(scope, need.ref) : need.blob ? this.ring.keyOfBlob(scope, need.blob) : undefined;
      const { decision, request } = await this.identity(ctx, need.action, key);
      if (decision === "Allow" || decision === "Unrestricted") continue;
      if (decision === "Neutral" && key && this.grants.allowing(ctx.principalArn, key, need.action, need.context).length) continue;
      throw await this.denied(ctx, request, decision);
    }
  }

  /** CreateGrant: a policy lets the caller create any grant; a grant that allows CreateGrant, only narrower ones. */
  async createGrantAuthority(ctx: CallContext, key: KeyRecord): Promise<CreateGrantAuthority> {
    if (!isIamPrincipal(ctx.principalArn)) return { via: "policy" };
    const { decision, request } = await this.identity(ctx, "CreateGrant", key);
    if (decision === "Allow" || decision === "Unrestricted") return { via: "policy" };
    const grants = decision === "Neutral" ? this.grants.allowing(ctx.principalArn, key, "CreateGrant", undefined) : [];
    if (grants.length) return { via: "grants", grants };
    throw await this.denied(ctx, request, decision);
  }

  /**
   * RetireGrant: the principals the grant names may retire it; an IAM policy
   * may also allow kms:RetireGrant (delegation), and an explicit Deny refuses.
   */
  async authorizeRetire(ctx: CallContext, grant: Parameters<Grants["mayRetire"]>[0]): Promise<void> {
    const iam = isIamPrincipal(ctx.principalArn);
    const named = this.grants.mayRetire(grant, { principalArn: ctx.principalArn, account: ctx.account, root: !iam });
    if (!iam) {
      if (named) return;
      throw KmsErrors.accessDenied(`User: ${ctx.principalArn} is not authorized to perform: kms:RetireGrant on resource: ${grant.KeyArn}`);
    }
    const scope = { account: ctx.account, region: ctx.region };
    const { decision, request } = await this.identity(ctx, "RetireGrant", this.ring.find(scope, grant.KeyArn));
    if (decision === "Deny" || (!named && decision !== "Allow")) throw await this.denied(ctx, request, decision);
  }

  private async identity(ctx: CallContext, action: string, key: KeyRecord | undefined): Promise<{ decision: IdentityDecision; request: IdentityRequest }> {
    // Loaded on the first request by an IAM principal: start-up does not pay for it.
    const { identityDecision, globalContext } = await import("../iam/enforce.js");
    const context = globalContext(this.cloud, { principalArn: ctx.principalArn, account: ctx.account, region: ctx.region, sourceIp: ctx.sourceIp, secure: ctx.secure });
    const request: IdentityRequest = { principalArn: ctx.principalArn, action: `kms:${action}`, resource: key?.Arn, context };
    return { decision: identityDecision(this.cloud, request), request };
  }

  private async denied(ctx: CallContext, request: IdentityRequest, decision: IdentityDecision) {
    const { deniedMessage } = await import("../iam/enforce.js");
    return KmsErrors.accessDenied(deniedMessage(ctx.principalArn, request, decision));
  }
}
