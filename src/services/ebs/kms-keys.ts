/**
 * KMS key ids on encrypted volumes and snapshots. EBS reports keys as ARNs;
 * the default key (alias/aws/ebs) has a stable id per account and region.
 */
import { crypto } from "../../core/crypto.js";
import type { Scope } from "../../state/documents.js";

export function defaultKmsKeyArn(scope: Scope): string {
  const hex = crypto().createHash("sha256").update(`aws/ebs:${scope.account}:${scope.region}`).digest("hex");
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return `arn:aws:kms:${scope.region}:${scope.account}:key/${uuid}`;
}

/** A key id, alias or ARN as EBS records it (an ARN). */
export function kmsKeyArn(scope: Scope, keyId: string): string {
  if (keyId.startsWith("arn:")) return keyId;
  if (keyId === "alias/aws/ebs") return defaultKmsKeyArn(scope);
  if (keyId.startsWith("alias/")) return `arn:aws:kms:${scope.region}:${scope.account}:${keyId}`;
  return `arn:aws:kms:${scope.region}:${scope.account}:key/${keyId}`;
}
