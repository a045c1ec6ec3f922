/**
 * KMS: symmetric, RSA, ECC and HMAC keys with real cryptography (key material
 * kept wrapped by the master key in the data dir), aliases, AWS managed keys
 * made on first use, enable/disable, scheduled deletion and rotation on the
 * clock, tags, key policies and grants. Signing and data key pairs are in
 * signing.ts, MACs in hmac.ts, Encrypt/Decrypt in encryption.ts, grants in
 * grants.ts and who may call what in access.ts. Other services use KMS
 * through `KmsApi` (api.ts).
 */
import { crypto } from "../../core/crypto.js";
import type { Cloud } from "../../cloud.js";
import type {
  CancelKeyDeletionRequest,
  CancelKeyDeletionResponse,
  CreateAliasRequest,
  CreateGrantRequest,
  CreateGrantResponse,
  CreateKeyRequest,
  CreateKeyResponse,
  DecryptRequest,
  DecryptResponse,
  DeleteAliasRequest,
  DescribeKeyRequest,
  DescribeKeyResponse,
  DisableKeyRequest,
  DisableKeyRotationRequest,
  EnableKeyRequest,
  EnableKeyRotationRequest,
  EncryptRequest,
  EncryptResponse,
  GenerateDataKeyPairRequest,
  GenerateDataKeyPairResponse,
  GenerateDataKeyPairWithoutPlaintextRequest,
  GenerateDataKeyPairWithoutPlaintextResponse,
  GenerateDataKeyRequest,
  GenerateDataKeyResponse,
  GenerateDataKeyWithoutPlaintextRequest,
  GenerateDataKeyWithoutPlaintextResponse,
  GenerateMacRequest,
  GenerateMacResponse,
  GenerateRandomRequest,
  GenerateRandomResponse,
  GetKeyPolicyRequest,
  GetKeyPolicyResponse,
  GetKeyRotationStatusRequest,
  GetKeyRotationStatusResponse,
  GetPublicKeyRequest,
  GetPublicKeyResponse,
  KeyMetadata,
  KmsOperations,
  ListAliasesRequest,
  ListAliasesResponse,
  ListGrantsRequest,
  ListGrantsResponse,
  ListKeyPoliciesRequest,
  ListKeyPoliciesResponse,
  ListKeyRotationsRequest,
  ListKeyRotationsResponse,
  ListKeysRequest,
  ListKeysResponse,
  ListResourceTagsRequest,
  ListResourceTagsResponse,
  ListRetirableGrantsRequest,
  PutKeyPolicyRequest,
  ReEncryptRequest,
  ReEncryptResponse,
  RetireGrantRequest,
  RevokeGrantRequest,
  RotateKeyOnDemandRequest,
  RotateKeyOnDemandResponse,
  ScheduleKeyDeletionRequest,
  ScheduleKeyDeletionResponse,
  SignRequest,
  SignResponse,
  TagResourceRequest,
  UntagResourceRequest,
  UpdateAliasRequest,
  UpdateKeyDescriptionRequest,
  VerifyMacRequest,
  VerifyMacResponse,
  VerifyRequest,
  VerifyResponse,
} from "../../generated/kms.js";
import type { Job } from "../../clock/scheduler.js";
import type { Scope } from "../../state/documents.js";
import type { CallContext, ServiceProvider } from "../types.js";
import { Access, ACCESS, type ImplementedOperation } from "./access.js";
import { generateKeyPair } from "./asymmetric.js";
import { Encryption } from "./encryption.js";
import { KmsErrors } from "./errors.js";
import { Grants } from "./grants.js";
import { Macs } from "./hmac.js";
import { AWS_MANAGED_ALIASES, defaultPolicy, KeyRing } from "./keys.js";
import { paginate } from "./paging.js";
import { Signing } from "./signing.js";
import { algorithmsOf, HMAC_SPECS, isAsymmetric, isSymmetric, KEY_SPECS, usagesOf, type KeySpecName, type KeyUsageName } from "./specs.js";
import type { KeyRecord } from "./store.js";
import type { DataKey, KmsApi } from "./api.js";

const DAY = 86_400_000;
const DELETE_JOB = "kms.delete-key";
const ROTATE_JOB = "kms.rotate-key";

type Implemented = Pick<KmsOperations, ImplementedOperation>;
type Handler = (input: unknown, ctx: CallContext) => unknown;

function scopeOf(ctx: CallContext): Scope {
  return { account: ctx.account, region: ctx.region };
}

export class KmsProvider implements ServiceProvider, Implemented, KmsApi {
  readonly ring: KeyRing;
  readonly grants: Grants;
  private readonly access: Access;
  private readonly encryption: Encryption;
  private readonly signing: Signing;
  private readonly macs: Macs;

  constructor(readonly cloud: Cloud) {
    this.ring = new KeyRing(cloud);
    this.grants = new Grants(cloud, this.ring);
    this.access = new Access(cloud, this.ring, this.grants);
    this.encryption = new Encryption(this.ring);
    this.signing = new Signing(this.ring);
    this.macs = new Macs(this.ring);
    // Every operation is authorized first (access.ts has the table of what each needs).
    const handlers = this as unknown as Record<ImplementedOperation, Handler>;
    for (const operation of Object.keys(ACCESS) as ImplementedOperation[]) {
      const handler = handlers[operation];
      handlers[operation] = async (input, ctx) => {
        await this.access.authorize(operation, input, ctx);
        return handler.call(this, input, ctx);
      };
    }
  }

  onStart(): void {
    this.cloud.scheduler.on<{ keyId: string }>(DELETE_JOB, (job) => this.deleteKeyNow(job));
    this.cloud.scheduler.on<{ keyId: string; onDemand?: boolean }>(ROTATE_JOB, (job) => this.rotateOnSchedule(job));
  }

  // ---- keys -------------------------------------------------------------

  async CreateKey(input: CreateKeyRequest, ctx: CallContext): Promise<CreateKeyResponse> {
    if (input.KeySpec && input.CustomerMasterKeySpec) {
      throw KmsErrors.validation("You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.");
    }
    const spec = (input.KeySpec ?? input.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT") as KeySpecName;
    if (!KEY_SPECS.includes(spec)) throw KmsErrors.unsupported(`Stratus KMS does not support KeySpec ${spec}.`);
    if (spec !== "SYMMETRIC_DEFAULT" && !input.KeyUsage) throw KmsErrors.keyUsageRequired();
    const usage = input.KeyUsage ?? "ENCRYPT_DECRYPT";
    if (!usagesOf(spec).includes(usage)) throw KmsErrors.usageIncompatible(usage, spec);
    if (usage === "KEY_AGREEMENT") throw KmsErrors.unsupported("Stratus KMS does not support KEY_AGREEMENT keys (DeriveSharedSecret).");
    if (input.Origin && input.Origin !== "AWS_KMS") throw KmsErrors.unsupported(`Stratus KMS supports only the AWS_KMS origin, not ${input.Origin}.`);
    if (input.MultiRegion) throw KmsErrors.unsupported("Stratus KMS does not support multi-Region keys.");
    if (input.CustomKeyStoreId) throw KmsErrors.unsupported("Stratus KMS does not support custom key stores.");
    if (input.Policy !== undefined) parsePolicy(input.Policy);
    const tags = checkTags(input.Tags ?? []);
    const key = this.ring.createKey(
      scopeOf(ctx),
      { Description: input.Description ?? "", KeyManager: "CUSTOMER", Policy: input.Policy ?? defaultPolicy(ctx.account), Tags: tags, KeySpec: spec, KeyUsage: usage as KeyUsageName },
      await newKeyMaterial(spec),
    );
    return { KeyMetadata: metadata(key) };
  }

  DescribeKey(input: DescribeKeyRequest, ctx: CallContext): DescribeKeyResponse {
    return { KeyMetadata: metadata(this.ring.locate(scopeOf(ctx), input.KeyId, { aliases: true }).key) };
  }

  ListKeys(input: ListKeysRequest, ctx: CallContext): ListKeysResponse {
    const keys = this.ring.store.keys(scopeOf(ctx)).values().sort((a, b) => a.sequence - b.sequence);
    const page = paginate(keys, (k) => String(k.sequence).padStart(12, "0"), input.Limit, input.Marker);
    return { Keys: page.items.map((k) => ({ KeyId: k.KeyId, KeyArn: k.Arn })), Truncated: page.truncated, NextMarker: page.nextMarker };
  }

  EnableKey(input: EnableKeyRequest, ctx: CallContext): void {
    const key = this.customerKey(ctx, input.KeyId, "EnableKey");
    if (key.KeyState === "PendingDeletion") throw KmsErrors.pendingDeletion(key.Arn);
    this.update(key, (k) => void (k.KeyState = "Enabled"));
  }

  DisableKey(input: DisableKeyRequest, ctx: CallContext): void {
    const key = this.customerKey(ctx, input.KeyId, "DisableKey");
    if (key.KeyState === "PendingDeletion") throw KmsErrors.pendingDeletion(key.Arn);
    this.update(key, (k) => void (k.KeyState = "Disabled"));
  }

  ScheduleKeyDeletion(input: ScheduleKeyDeletionRequest, ctx: CallContext): ScheduleKeyDeletionResponse {
    const key = this.customerKey(ctx, input.KeyId, "ScheduleKeyDeletion");
    const days = input.PendingWindowInDays ?? 30;
    if (days < 7 || days > 30) {
      throw KmsErrors.validation(
        `1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value ${days < 7 ? "greater than or equal to 7" : "less than or equal to 30"}`,
      );
    }
    if (key.KeyState === "PendingDeletion") throw KmsErrors.pendingDeletion(key.Arn);
    const deletionDate = new Date(this.cloud.clock.now() + days * DAY);
    this.update(key, (k) => {
      k.KeyState = "PendingDeletion";
      k.DeletionDate = deletionDate;
      k.PendingDeletionWindowInDays = days;
    });
    this.cloud.scheduler.schedule({ kind: DELETE_JOB, due: deletionDate.getTime(), key: `${DELETE_JOB}:${key.Arn}`, account: ctx.account, region: ctx.region, payload: { keyId: key.KeyId } });
    return { KeyId: key.Arn, DeletionDate: deletionDate, KeyState: "PendingDeletion", PendingWindowInDays: days };
  }

  CancelKeyDeletion(input: CancelKeyDeletionRequest, ctx: CallContext): CancelKeyDeletionResponse {
    const key = this.customerKey(ctx, input.KeyId, "CancelKeyDeletion");
    if (key.KeyState !== "PendingDeletion") throw KmsErrors.notPendingDeletion(key.Arn);
    this.update(key, (k) => {
      k.KeyState = "Disabled";
      delete k.DeletionDate;
      delete k.PendingDeletionWindowInDays;
    });
    this.cloud.scheduler.cancel(`${DELETE_JOB}:${key.Arn}`);
    return { KeyId: key.Arn };
  }

  UpdateKeyDescription(input: UpdateKeyDescriptionRequest, ctx: CallContext): void {
    const key = this.customerKey(ctx, input.KeyId, "UpdateKeyDescription");
    this.update(key, (k) => void (k.Description = input.Description));
  }

  private deleteKeyNow(job: Job<{ keyId: string }>): void {
    const scope = { account: job.account, region: job.region };
    const key = this.ring.store.keys(scope).get(job.payload.keyId);
    if (!key || key.KeyState !== "PendingDeletion") return;
    this.cloud.documents.transaction(() => {
      for (const alias of this.ring.store.aliases(scope).values()) {
        if (alias.TargetKeyId === key.KeyId) this.ring.store.aliases(scope).delete(alias.AliasName);
      }
      this.grants.deleteForKey(scope, key.KeyId);
      this.ring.store.keys(scope).delete(key.KeyId);
    });
    this.cloud.scheduler.cancel(`${ROTATE_JOB}:${key.Arn}`);
  }

  // ---- aliases ----------------------------------------------------------

  CreateAlias(input: CreateAliasRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    this.checkAliasName(input.AliasName, ctx, "CreateAlias");
    const target = this.ring.locate(scope, input.TargetKeyId, { aliases: false });
    if (target.key.KeyManager === "AWS") throw KmsErrors.awsManaged(ctx.principalArn, "CreateAlias", target.key.Arn);
    if (target.key.KeyState === "PendingDeletion") throw KmsErrors.pendingDeletion(target.key.Arn);
    if (this.ring.store.aliases(scope).has(input.AliasName)) throw KmsErrors.aliasExists(this.ring.aliasArn(scope, input.AliasName));
    this.ring.putAlias(scope, input.AliasName, target.key.KeyId);
  }

  UpdateAlias(input: UpdateAliasRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    this.checkAliasName(input.AliasName, ctx, "UpdateAlias");
    const alias = this.ring.store.aliases(scope).get(input.AliasName);
    if (!alias) throw KmsErrors.aliasNotFound(this.ring.aliasArn(scope, input.AliasName));
    const target = this.ring.locate(scope, input.TargetKeyId, { aliases: false });
    if (target.key.KeyManager === "AWS") throw KmsErrors.awsManaged(ctx.principalArn, "UpdateAlias", target.key.Arn);
    if (target.key.KeyState === "PendingDeletion") throw KmsErrors.pendingDeletion(target.key.Arn);
    this.ring.store.aliases(scope).put(alias.AliasName, { ...alias, TargetKeyId: target.key.KeyId, LastUpdatedDate: this.cloud.clock.date() });
  }

  DeleteAlias(input: DeleteAliasRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    this.checkAliasName(input.AliasName, ctx, "DeleteAlias");
    if (!this.ring.store.aliases(scope).delete(input.AliasName)) throw KmsErrors.aliasNotFound(this.ring.aliasArn(scope, input.AliasName));
  }

  ListAliases(input: ListAliasesRequest, ctx: CallContext): ListAliasesResponse {
    const scope = scopeOf(ctx);
    const stored = this.ring.store.aliases(scope).values();
    let entries = stored.map((a) => ({ AliasName: a.AliasName, AliasArn: a.AliasArn, TargetKeyId: a.TargetKeyId, CreationDate: a.CreationDate, LastUpdatedDate: a.LastUpdatedDate }));
    if (input.KeyId) {
      const key = this.ring.locate(scope, input.KeyId, { aliases: false }).key;
      entries = entries.filter((a) => a.TargetKeyId === key.KeyId);
    } else {
      // AWS lists the AWS managed aliases even before their keys exist.
      for (const name of Object.keys(AWS_MANAGED_ALIASES)) {
        if (!stored.some((a) => a.AliasName === name)) entries.push({ AliasName: name, AliasArn: this.ring.aliasArn(scope, name) } as (typeof entries)[number]);
      }
    }
    entries.sort((a, b) => (a.AliasName < b.AliasName ? -1 : a.AliasName > b.AliasName ? 1 : 0));
    const page = paginate(entries, (a) => a.AliasName, input.Limit, input.Marker);
    return { Aliases: page.items, Truncated: page.truncated, NextMarker: page.nextMarker };
  }

  private checkAliasName(name: string, ctx: CallContext, op: string): void {
    if (!name.startsWith("alias/")) throw KmsErrors.aliasPrefix();
    if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(name)) throw KmsErrors.aliasPattern(name);
    if (name.startsWith("alias/aws/")) throw KmsErrors.reservedAlias(ctx.principalArn, op, name);
  }

  // ---- cryptography -----------------------------------------------------

  Encrypt(input: EncryptRequest, ctx: CallContext): EncryptResponse {
    const { key } = this.ring.locate(scopeOf(ctx), input.KeyId, { aliases: true });
    const sealed = this.encryption.encrypt(key, input.Plaintext, {
      algorithm: input.EncryptionAlgorithm,
      context: input.EncryptionContext,
      operation: "Encrypt",
      dryRun: input.DryRun,
    });
    return { CiphertextBlob: sealed.blob, KeyId: key.Arn, EncryptionAlgorithm: sealed.algorithm as EncryptResponse["EncryptionAlgorithm"] };
  }

  Decrypt(input: DecryptRequest, ctx: CallContext): DecryptResponse {
    const scope = scopeOf(ctx);
    if (!input.CiphertextBlob) throw KmsErrors.validation("CiphertextBlob is required.");
    const expected = input.KeyId ? this.ring.locate(scope, input.KeyId, { aliases: true }).key : undefined;
    const opened = this.encryption.decrypt(scope, input.CiphertextBlob, expected, {
      algorithm: input.EncryptionAlgorithm,
      context: input.EncryptionContext,
      operation: "Decrypt",
      dryRun: input.DryRun,
    });
    return {
      Plaintext: opened.plaintext,
      KeyId: opened.key.Arn,
      EncryptionAlgorithm: opened.algorithm as DecryptResponse["EncryptionAlgorithm"],
      KeyMaterialId: opened.materialId,
    };
  }

  ReEncrypt(input: ReEncryptRequest, ctx: CallContext): ReEncryptResponse {
    const scope = scopeOf(ctx);
    if (!input.CiphertextBlob) throw KmsErrors.validation("CiphertextBlob is required.");
    const expected = input.SourceKeyId ? this.ring.locate(scope, input.SourceKeyId, { aliases: true }).key : undefined;
    const destination = this.ring.locate(scope, input.DestinationKeyId, { aliases: true }).key;
    const source = this.encryption.decrypt(scope, input.CiphertextBlob, expected, {
      algorithm: input.SourceEncryptionAlgorithm,
      context: input.SourceEncryptionContext,
      operation: "ReEncrypt",
    });
    const sealed = this.encryption.encrypt(destination, source.plaintext, {
      algorithm: input.DestinationEncryptionAlgorithm,
      context: input.DestinationEncryptionContext,
      operation: "ReEncrypt",
      dryRun: input.DryRun,
    });
    return {
      CiphertextBlob: sealed.blob,
      SourceKeyId: source.key.Arn,
      KeyId: destination.Arn,
      SourceEncryptionAlgorithm: source.algorithm as ReEncryptResponse["SourceEncryptionAlgorithm"],
      DestinationEncryptionAlgorithm: sealed.algorithm as ReEncryptResponse["DestinationEncryptionAlgorithm"],
      SourceKeyMaterialId: source.materialId,
      DestinationKeyMaterialId: sealed.materialId,
    };
  }

  GenerateDataKey(input: GenerateDataKeyRequest, ctx: CallContext): GenerateDataKeyResponse {
    const { key } = this.ring.locate(scopeOf(ctx), input.KeyId, { aliases: true });
    this.ring.assertSymmetric(key, "GenerateDataKey");
    const bytes = dataKeyLength(input.KeySpec, input.NumberOfBytes);
    this.ring.assertUsable(key);
    if (input.DryRun) throw KmsErrors.dryRun();
    const plaintext = crypto().randomBytes(bytes);
    return {
      Plaintext: plaintext,
      CiphertextBlob: this.ring.encrypt(key, plaintext, input.EncryptionContext),
      KeyId: key.Arn,
      KeyMaterialId: currentMaterialId(key),
    };
  }

  GenerateDataKeyWithoutPlaintext(input: GenerateDataKeyWithoutPlaintextRequest, ctx: CallContext): GenerateDataKeyWithoutPlaintextResponse {
    const { key } = this.ring.locate(scopeOf(ctx), input.KeyId, { aliases: true });
    this.ring.assertSymmetric(key, "GenerateDataKeyWithoutPlaintext");
    const bytes = dataKeyLength(input.KeySpec, input.NumberOfBytes);
    this.ring.assertUsable(key);
    if (input.DryRun) throw KmsErrors.dryRun();
    return { CiphertextBlob: this.ring.encrypt(key, crypto().randomBytes(bytes), input.EncryptionContext), KeyId: key.Arn };
  }

  GenerateRandom(input: GenerateRandomRequest): GenerateRandomResponse {
    if (input.CustomKeyStoreId) throw KmsErrors.unsupported("Stratus KMS does not support custom key stores.");
    if (input.NumberOfBytes === undefined) throw KmsErrors.validation("NumberOfBytes is required.");
    return { Plaintext: crypto().randomBytes(input.NumberOfBytes) };
  }

  // ---- key pairs and MACs ------------------------------------------------

  GetPublicKey(input: GetPublicKeyRequest, ctx: CallContext): GetPublicKeyResponse {
    return this.signing.getPublicKey(this.ring.locate(scopeOf(ctx), input.KeyId, { aliases: true }).key);
  }

  Sign(input: SignRequest, ctx: CallContext): SignResponse {
    return this.signing.sign(this.ring.locate(scopeOf(ctx), input.KeyId, { aliases: true }).key, input);
  }

  Verify(input: VerifyRequest, ctx: CallContext): VerifyResponse {
    return this.signing.verify(this.ring.locate(scopeOf(ctx), input.KeyId, { aliases: true }).key, input);
  }

  GenerateDataKeyPair(input: GenerateDataKeyPairRequest, ctx: CallContext): Promise<GenerateDataKeyPairResponse> {
    return this.signing.dataKeyPair(this.ring.locate(scopeOf(ctx), input.KeyId, { aliases: true }).key, input, "GenerateDataKeyPair");
  }

  async GenerateDataKeyPairWithoutPlaintext(input: GenerateDataKeyPairWithoutPlaintextRequest, ctx: CallContext): Promise<GenerateDataKeyPairWithoutPlaintextResponse> {
    const { key } = this.ring.locate(scopeOf(ctx), input.KeyId, { aliases: true });
    const { PrivateKeyPlaintext: _secret, ...rest } = await this.signing.dataKeyPair(key, input, "GenerateDataKeyPairWithoutPlaintext");
    return rest;
  }

  GenerateMac(input: GenerateMacRequest, ctx: CallContext): GenerateMacResponse {
    return this.macs.generate(this.ring.locate(scopeOf(ctx), input.KeyId, { aliases: true }).key, input);
  }

  VerifyMac(input: VerifyMacRequest, ctx: CallContext): VerifyMacResponse {
    return this.macs.verify(this.ring.locate(scopeOf(ctx), input.KeyId, { aliases: true }).key, input);
  }

  // ---- grants -----------------------------------------------------------

  /** AWS managed keys take grants only from their services, never from a caller directly (their key policy). */
  async CreateGrant(input: CreateGrantRequest, ctx: CallContext): Promise<CreateGrantResponse> {
    const key = this.customerKey(ctx, input.KeyId, "CreateGrant");
    const authority = await this.access.createGrantAuthority(ctx, key);
    return this.grants.create(key, input, ctx.account, authority);
  }

  ListGrants(input: ListGrantsRequest, ctx: CallContext): ListGrantsResponse {
    return this.grants.list(this.ring.locate(scopeOf(ctx), input.KeyId, { aliases: false }).key, input);
  }

  ListRetirableGrants(input: ListRetirableGrantsRequest, ctx: CallContext): ListGrantsResponse {
    return this.grants.listRetirable(scopeOf(ctx), input);
  }

  async RetireGrant(input: RetireGrantRequest, ctx: CallContext): Promise<void> {
    const grant = this.grants.toRetire(input, scopeOf(ctx));
    await this.access.authorizeRetire(ctx, grant);
    if (input.DryRun) throw KmsErrors.dryRun();
    this.grants.delete(grant);
  }

  RevokeGrant(input: RevokeGrantRequest, ctx: CallContext): void {
    const key = this.customerKey(ctx, input.KeyId, "RevokeGrant");
    const grant = this.grants.onKey(key, input.GrantId);
    if (input.DryRun) throw KmsErrors.dryRun();
    this.grants.delete(grant);
  }

  // ---- tags and policies ------------------------------------------------

  TagResource(input: TagResourceRequest, ctx: CallContext): void {
    const key = this.customerKey(ctx, input.KeyId, "TagResource");
    if (key.KeyState === "PendingDeletion") throw KmsErrors.pendingDeletion(key.Arn);
    const incoming = checkTags(input.Tags);
    this.update(key, (k) => {
      for (const tag of incoming) {
        const existing = k.Tags.find((t) => t.TagKey === tag.TagKey);
        if (existing) existing.TagValue = tag.TagValue;
        else k.Tags.push(tag);
      }
      if (k.Tags.length > 50) throw KmsErrors.tag("Too many tags");
    });
  }

  UntagResource(input: UntagResourceRequest, ctx: CallContext): void {
    const key = this.customerKey(ctx, input.KeyId, "UntagResource");
    if (key.KeyState === "PendingDeletion") throw KmsErrors.pendingDeletion(key.Arn);
    this.update(key, (k) => void (k.Tags = k.Tags.filter((t) => !input.TagKeys.includes(t.TagKey))));
  }

  ListResourceTags(input: ListResourceTagsRequest, ctx: CallContext): ListResourceTagsResponse {
    const { key } = this.ring.locate(scopeOf(ctx), input.KeyId, { aliases: false });
    const tags = [...key.Tags].sort((a, b) => (a.TagKey < b.TagKey ? -1 : a.TagKey > b.TagKey ? 1 : 0));
    const page = paginate(tags, (t) => t.TagKey, input.Limit, input.Marker);
    return { Tags: page.items, Truncated: page.truncated, NextMarker: page.nextMarker };
  }

  GetKeyPolicy(input: GetKeyPolicyRequest, ctx: CallContext): GetKeyPolicyResponse {
    const { key } = this.ring.locate(scopeOf(ctx), input.KeyId, { aliases: false });
    checkPolicyName(input.PolicyName);
    return { Policy: key.Policy, PolicyName: "default" };
  }

  PutKeyPolicy(input: PutKeyPolicyRequest, ctx: CallContext): void {
    const key = this.customerKey(ctx, input.KeyId, "PutKeyPolicy");
    checkPolicyName(input.PolicyName);
    parsePolicy(input.Policy);
    this.update(key, (k) => void (k.Policy = input.Policy));
  }

  ListKeyPolicies(input: ListKeyPoliciesRequest, ctx: CallContext): ListKeyPoliciesResponse {
    this.ring.locate(scopeOf(ctx), input.KeyId, { aliases: false });
    return { PolicyNames: ["default"], Truncated: false };
  }

  // ---- rotation ---------------------------------------------------------

  EnableKeyRotation(input: EnableKeyRotationRequest, ctx: CallContext): void {
    const key = this.customerKey(ctx, input.KeyId, "EnableKeyRotation");
    this.assertRotatable(key);
    const days = input.RotationPeriodInDays ?? key.RotationPeriodInDays ?? 365;
    const next = new Date(this.cloud.clock.now() + days * DAY);
    this.update(key, (k) => {
      k.RotationEnabled = true;
      k.RotationPeriodInDays = days;
      k.NextRotationDate = next;
    });
    this.cloud.scheduler.schedule({ kind: ROTATE_JOB, due: next.getTime(), key: `${ROTATE_JOB}:${key.Arn}`, account: ctx.account, region: ctx.region, payload: { keyId: key.KeyId } });
  }

  DisableKeyRotation(input: DisableKeyRotationRequest, ctx: CallContext): void {
    const key = this.customerKey(ctx, input.KeyId, "DisableKeyRotation");
    this.assertRotatable(key);
    this.update(key, (k) => {
      k.RotationEnabled = false;
      delete k.NextRotationDate;
    });
    this.cloud.scheduler.cancel(`${ROTATE_JOB}:${key.Arn}`);
  }

  GetKeyRotationStatus(input: GetKeyRotationStatusRequest, ctx: CallContext): GetKeyRotationStatusResponse {
    const { key } = this.ring.locate(scopeOf(ctx), input.KeyId, { aliases: false });
    if (key.KeyState === "PendingDeletion") throw KmsErrors.pendingDeletion(key.Arn);
    return {
      KeyId: key.Arn,
      KeyRotationEnabled: key.RotationEnabled,
      RotationPeriodInDays: key.RotationEnabled ? key.RotationPeriodInDays : undefined,
      NextRotationDate: key.RotationEnabled ? key.NextRotationDate : undefined,
    };
  }

  RotateKeyOnDemand(input: RotateKeyOnDemandRequest, ctx: CallContext): RotateKeyOnDemandResponse {
    const key = this.customerKey(ctx, input.KeyId, "RotateKeyOnDemand");
    this.assertRotatable(key);
    this.rotate({ account: ctx.account, region: ctx.region }, key, "ON_DEMAND");
    return { KeyId: key.Arn };
  }

  ListKeyRotations(input: ListKeyRotationsRequest, ctx: CallContext): ListKeyRotationsResponse {
    const { key } = this.ring.locate(scopeOf(ctx), input.KeyId, { aliases: false });
    const page = paginate(key.Rotations, (r) => r.KeyMaterialId, input.Limit, input.Marker);
    return { Rotations: page.items.map((r) => ({ ...r, KeyId: key.Arn })), Truncated: page.truncated, NextMarker: page.nextMarker };
  }

  /** Only symmetric encryption keys rotate (AWS refuses asymmetric and HMAC keys, with no message). */
  private assertRotatable(key: KeyRecord): void {
    if (!isSymmetric(key)) throw KmsErrors.rotationUnsupported();
    this.ring.assertUsable(key);
  }

  private rotate(scope: Scope, key: KeyRecord, type: "AUTOMATIC" | "ON_DEMAND"): void {
    const material = this.ring.newMaterial(key.Arn);
    this.ring.store.keys(scope).update(key.KeyId, (k) => {
      k.materials.push(material);
      k.Rotations.push({ KeyMaterialId: material.id, RotationDate: this.cloud.clock.date(), RotationType: type });
    });
  }

  private rotateOnSchedule(job: Job<{ keyId: string }>): void {
    const scope = { account: job.account, region: job.region };
    const key = this.ring.store.keys(scope).get(job.payload.keyId);
    if (!key || !key.RotationEnabled) return;
    if (key.KeyState === "Enabled") this.rotate(scope, key, "AUTOMATIC");
    const next = new Date(this.cloud.clock.now() + (key.RotationPeriodInDays ?? 365) * DAY);
    this.ring.store.keys(scope).update(key.KeyId, (k) => void (k.NextRotationDate = next));
    this.cloud.scheduler.schedule({ kind: ROTATE_JOB, due: next.getTime(), key: `${ROTATE_JOB}:${key.Arn}`, account: scope.account, region: scope.region, payload: { keyId: key.KeyId } });
  }

  // ---- for other services (KmsApi) ---------------------------------------

  generateDataKeyFor(scope: Scope, keyRef: string | undefined, service: string, context?: Record<string, string>): DataKey {
    const key = keyRef ? this.ring.locate(scope, keyRef, { aliases: true }).key : this.ring.awsManagedKey(scope, service);
    this.ring.assertSymmetric(key, "GenerateDataKey");
    this.ring.assertUsable(key);
    const plaintext = crypto().randomBytes(32);
    return { keyArn: key.Arn, plaintext, ciphertext: this.ring.encrypt(key, plaintext, context) };
  }

  decryptDataKeyFor(scope: Scope, ciphertext: Buffer, context?: Record<string, string>): { keyArn: string; plaintext: Buffer } {
    const { key, plaintext } = this.ring.decrypt(scope, ciphertext, context);
    return { keyArn: key.Arn, plaintext };
  }

  describeKeyFor(scope: Scope, keyRef: string): { keyArn: string; keyId: string; enabled: boolean } {
    const { key } = this.ring.locate(scope, keyRef, { aliases: true });
    return { keyArn: key.Arn, keyId: key.KeyId, enabled: key.KeyState === "Enabled" };
  }

  // ---- helpers ----------------------------------------------------------

  /** A key that the caller may manage: AWS managed keys answer AccessDenied like AWS's key policies make them. */
  private customerKey(ctx: CallContext, ref: string, op: string): KeyRecord {
    const { key } = this.ring.locate(scopeOf(ctx), ref, { aliases: false });
    if (key.KeyManager === "AWS") throw KmsErrors.awsManaged(ctx.principalArn, op, key.Arn);
    return key;
  }

  /** Keys live in the scope their ARN names (a caller may name a key by ARN from elsewhere). */
  private update(key: KeyRecord, fn: (k: KeyRecord) => void): void {
    this.ring.store.keys({ account: key.AWSAccountId, region: key.Arn.split(":")[3] }).update(key.KeyId, fn);
  }
}

function metadata(key: KeyRecord): KeyMetadata {
  return {
    AWSAccountId: key.AWSAccountId,
    KeyId: key.KeyId,
    Arn: key.Arn,
    CreationDate: key.CreationDate,
    Enabled: key.KeyState === "Enabled",
    Description: key.Description,
    KeyUsage: key.KeyUsage,
    KeyState: key.KeyState,
    DeletionDate: key.DeletionDate,
    PendingDeletionWindowInDays: key.PendingDeletionWindowInDays,
    Origin: key.Origin,
    KeyManager: key.KeyManager,
    CustomerMasterKeySpec: key.KeySpec,
    KeySpec: key.KeySpec,
    ...(algorithmsOf(key) as Pick<KeyMetadata, "EncryptionAlgorithms" | "SigningAlgorithms" | "MacAlgorithms">),
    MultiRegion: false,
    // AWS names the key material of symmetric encryption keys only.
    CurrentKeyMaterialId: isSymmetric(key) ? key.materials[key.materials.length - 1]?.id : undefined,
  };
}

/** A new key's secret: none for a symmetric key (the ring makes 256 bits), a key pair, or an HMAC key. */
async function newKeyMaterial(spec: KeySpecName): Promise<{ secret: Buffer; publicKey?: Buffer } | undefined> {
  if (spec === "SYMMETRIC_DEFAULT") return undefined;
  const hmac = HMAC_SPECS[spec];
  if (hmac) return { secret: crypto().randomBytes(hmac.bytes) };
  if (!isAsymmetric({ KeySpec: spec })) return undefined;
  const pair = await generateKeyPair(spec);
  return { secret: pair.privateKey, publicKey: pair.publicKey };
}

function dataKeyLength(spec: string | undefined, numberOfBytes: number | undefined): number {
  if ((spec === undefined) === (numberOfBytes === undefined)) throw KmsErrors.validation("Please specify either number of bytes or key spec.");
  if (numberOfBytes !== undefined) return numberOfBytes;
  return spec === "AES_128" ? 16 : 32;
}

/** The id of the key material new ciphertexts are made with. */
function currentMaterialId(key: KeyRecord): string | undefined {
  return key.materials[key.materials.length - 1]?.id;
}

function checkTags(tags: Array<{ TagKey: string; TagValue: string }>): Array<{ TagKey: string; TagValue: string }> {
  const seen = new Set<string>();
  for (const tag of tags) {
    if (tag.TagKey.startsWith("aws:")) throw KmsErrors.tag("Tags beginning with aws: are reserved");
    if (seen.has(tag.TagKey)) throw KmsErrors.tag("Duplicate tag keys");
    seen.add(tag.TagKey);
  }
  if (tags.length > 50) throw KmsErrors.tag("Too many tags");
  return tags.map((t) => ({ TagKey: t.TagKey, TagValue: t.TagValue }));
}

function checkPolicyName(name: string | undefined): void {
  if (name !== undefined && name !== "default") throw KmsErrors.validation(`Policy name ${name} is not supported; the only valid value is default.`);
}

function parsePolicy(policy: string): void {
  try {
    const doc = JSON.parse(policy);
    if (!doc || typeof doc !== "object" || !("Statement" in doc)) throw new Error("no Statement");
  } catch {
    throw KmsErrors.malformedPolicy();
  }
}
