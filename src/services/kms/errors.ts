/** KMS's error catalogue, with AWS's codes and wording. */
import { AwsError } from "../../core/errors.js";

export const KmsErrors = {
  keyNotFound: (arn: string) => new AwsError("NotFoundException", `Key '${arn}' does not exist`),
  aliasNotFound: (aliasArn: string) => new AwsError("NotFoundException", `Alias ${aliasArn} is not found.`),
  invalidKeyId: (keyId: string) => new AwsError("NotFoundException", `Invalid keyId '${keyId}'`),
  invalidArn: (value: string) => new AwsError("InvalidArnException", `Invalid arn ${value}`),
  disabled: (arn: string) => new AwsError("DisabledException", `${arn} is disabled.`),
  pendingDeletion: (arn: string) => new AwsError("KMSInvalidStateException", `${arn} is pending deletion.`),
  notPendingDeletion: (arn: string) => new AwsError("KMSInvalidStateException", `${arn} is not pending deletion.`),
  invalidCiphertext: () => new AwsError("InvalidCiphertextException", ""),
  incorrectKey: () =>
    new AwsError("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation."),
  aliasExists: (aliasArn: string) => new AwsError("AlreadyExistsException", `An alias with the name ${aliasArn} already exists`),
  reservedAlias: (principal: string, op: string, alias: string) =>
    new AwsError("NotAuthorizedException", `User: ${principal} is not authorized to perform: kms:${op} on resource: ${alias}`),
  aliasPrefix: () =>
    new AwsError(
      "ValidationException",
      'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
    ),
  aliasPattern: (alias: string) =>
    new AwsError(
      "ValidationException",
      `1 validation error detected: Value '${alias}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$`,
    ),
  awsManaged: (principal: string, op: string, arn: string) =>
    new AwsError(
      "AccessDeniedException",
      `User: ${principal} is not authorized to perform: kms:${op} on resource: ${arn} because no resource-based policy allows the kms:${op} action`,
    ),
  validation: (message: string) => new AwsError("ValidationException", message),
  dryRun: () => new AwsError("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.", { status: 400 }),
  invalidMarker: () => new AwsError("InvalidMarkerException", "Invalid marker"),
  tag: (message: string) => new AwsError("TagException", message),
  unsupported: (message: string) => new AwsError("UnsupportedOperationException", message),
  malformedPolicy: () => new AwsError("MalformedPolicyDocumentException", "The new key policy will not allow you to update the key policy in the future."),
  invalidUsage: (message: string) => new AwsError("InvalidKeyUsageException", message),
  wrongUsage: (arn: string, usage: string, operation: string) =>
    new AwsError("InvalidKeyUsageException", `${arn} key usage is ${usage} which is not valid for ${operation}.`),
  wrongSpec: (arn: string, spec: string, operation: string) =>
    new AwsError("InvalidKeyUsageException", `${arn} key spec ${spec} is not valid for ${operation}.`),
  incompatibleAlgorithm: (algorithm: string, spec: string) =>
    new AwsError("InvalidKeyUsageException", `Algorithm ${algorithm} is incompatible with key spec ${spec}.`),
  keyUsageRequired: () => new AwsError("ValidationException", "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."),
  usageIncompatible: (usage: string, spec: string) => new AwsError("ValidationException", `KeyUsage ${usage} is not compatible with KeySpec ${spec}`),
  digestLength: (algorithm: string) => new AwsError("ValidationException", `Digest is invalid length for algorithm ${algorithm}.`),
  plaintextTooLarge: (algorithm: string, spec: string, limit: number) =>
    new AwsError("ValidationException", `Algorithm ${algorithm} and key spec ${spec} cannot encrypt data larger than ${limit} bytes.`),
  invalidSignature: () => new AwsError("KMSInvalidSignatureException", ""),
  invalidMac: () => new AwsError("KMSInvalidMacException", ""),
  /** AWS answers these rotation refusals for asymmetric and HMAC keys with no message. */
  rotationUnsupported: () => new AwsError("UnsupportedOperationException", ""),
  invalidGrantToken: () => new AwsError("InvalidGrantTokenException", "The grant token is not valid."),
  invalidGrantId: (grantId: string) => new AwsError("InvalidGrantIdException", `Invalid grant ID ${grantId}`),
  grantNotFound: (grantId: string, keyArn?: string) =>
    new AwsError("NotFoundException", keyArn ? `Grant ID ${grantId} not found for key ${keyArn}` : `Grant ID ${grantId} not found`),
  invalidPrincipal: (principal: string) => new AwsError("InvalidArnException", `ARN does not refer to a valid principal: ${principal}`),
  accessDenied: (message: string) => new AwsError("AccessDeniedException", message, { status: 400 }),
};
