/**
 * EBS encryption by default, per account and region: when enabled, every new
 * volume (CreateVolume and launches) is encrypted with the default key, which
 * ModifyEbsDefaultKmsKeyId can change.
 */
import type { Cloud } from "../../../cloud.js";
import type {
  DisableEbsEncryptionByDefaultResult,
  EnableEbsEncryptionByDefaultResult,
  GetEbsDefaultKmsKeyIdResult,
  GetEbsEncryptionByDefaultResult,
  ModifyEbsDefaultKmsKeyIdRequest,
  ModifyEbsDefaultKmsKeyIdResult,
  ResetEbsDefaultKmsKeyIdResult,
} from "../../../generated/ec2.js";
import type { Scope } from "../../../state/documents.js";
import { kmsKeyArn } from "../../ebs/kms-keys.js";
import type { EbsProvider } from "../../ebs/provider.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";

export class EbsEncryptionModule {
  constructor(readonly cloud: Cloud) {}

  private get settings() {
    return this.cloud.provider<EbsProvider>("ebs").volumes.settings;
  }

  EnableEbsEncryptionByDefault(_input: object, ctx: CallContext): EnableEbsEncryptionByDefaultResult {
    this.settings.update(scopeOf(ctx), { encryptionByDefault: true });
    return { EbsEncryptionByDefault: true };
  }

  DisableEbsEncryptionByDefault(_input: object, ctx: CallContext): DisableEbsEncryptionByDefaultResult {
    this.settings.update(scopeOf(ctx), { encryptionByDefault: false });
    return { EbsEncryptionByDefault: false };
  }

  GetEbsEncryptionByDefault(_input: object, ctx: CallContext): GetEbsEncryptionByDefaultResult {
    return { EbsEncryptionByDefault: this.settings.get(scopeOf(ctx)).encryptionByDefault, SseType: "none" };
  }

  GetEbsDefaultKmsKeyId(_input: object, ctx: CallContext): GetEbsDefaultKmsKeyIdResult {
    const scope = scopeOf(ctx);
    return { KmsKeyId: this.settings.get(scope).defaultKmsKeyId ?? awsManagedAlias(scope) };
  }

  ModifyEbsDefaultKmsKeyId(input: ModifyEbsDefaultKmsKeyIdRequest, ctx: CallContext): ModifyEbsDefaultKmsKeyIdResult {
    const scope = scopeOf(ctx);
    if (!input.KmsKeyId) throw Ec2Errors.missingParameter("KmsKeyId");
    if (input.KmsKeyId === "alias/aws/ebs" || input.KmsKeyId.endsWith(":alias/aws/ebs")) {
      throw Ec2Errors.invalidParameterValue("The AWS managed key alias/aws/ebs cannot be set as the default; use ResetEbsDefaultKmsKeyId.");
    }
    const arn = kmsKeyArn(scope, input.KmsKeyId);
    this.settings.update(scope, { defaultKmsKeyId: arn });
    return { KmsKeyId: arn };
  }

  ResetEbsDefaultKmsKeyId(_input: object, ctx: CallContext): ResetEbsDefaultKmsKeyIdResult {
    const scope = scopeOf(ctx);
    this.settings.update(scope, { defaultKmsKeyId: undefined });
    return { KmsKeyId: awsManagedAlias(scope) };
  }
}

function awsManagedAlias(scope: Scope): string {
  return `arn:aws:kms:${scope.region}:${scope.account}:alias/aws/ebs`;
}

function scopeOf(ctx: CallContext): Scope {
  return { account: ctx.account, region: ctx.region };
}
