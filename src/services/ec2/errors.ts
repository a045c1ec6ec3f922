/**
 * EC2's error catalogue: every code defined once, with AWS's wording. EC2
 * answers client mistakes with HTTP 400 (and DryRun with 412).
 */
import { AwsError } from "../../core/errors.js";

const err = (code: string, message: string, status = 400) => new AwsError(code, message, { status });

/** "i-0123" → "i-" (the prefix AWS names in Malformed messages). */
function idPrefix(id: string): string {
  const dash = id.indexOf("-");
  return dash > 0 ? id.slice(0, dash + 1) : id;
}

export const Ec2Errors = {
  /** An EC2 error with its own code (InvalidSubnet.Conflict, VpcLimitExceeded...). */
  custom: (code: string, message: string, status = 400) => err(code, message, status),
  dryRun: () => err("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412),
  missingParameter: (name: string) => err("MissingParameter", `The request must contain the parameter ${name}`),
  invalidParameterValue: (message: string) => err("InvalidParameterValue", message),
  invalidParameter: (message: string) => err("InvalidParameter", message),
  invalidParameterCombination: (message: string) => err("InvalidParameterCombination", message),
  invalidValueFor: (value: unknown, parameter: string) => err("InvalidParameterValue", `Invalid value '${String(value)}' for ${parameter}.`),
  invalidFilter: (name: string) => err("InvalidParameterValue", `The filter '${name}' is invalid`),
  invalidNextToken: (token: string) => err("InvalidNextToken", `The token '${token}' is invalid.`),
  maxResultsTooSmall: (value: number, min: number) =>
    err("InvalidParameterValue", `Value ( ${value} ) for parameter maxResults is invalid. Expecting a value greater than ${min}.`),
  maxResultsTooLarge: (value: number, max: number) =>
    err("InvalidParameterValue", `Value ( ${value} ) for parameter maxResults is invalid. Expecting a value less than or equal to ${max}.`),
  idsWithMaxResults: (idsParameter: string) =>
    err("InvalidParameterCombination", `The parameter ${idsParameter} cannot be used with the parameter maxResults`),
  /** A malformed id: InvalidInstanceID.Malformed: Invalid id: "i-zz" (expecting "i-..."). */
  malformed: (code: string, id: string, prefix = idPrefix(id)) => err(code, `Invalid id: "${id}" (expecting "${prefix}...")`),
  invalidId: (id: string) => err("InvalidID", `The ID '${id}' is not valid`),
  /** "The instance ID 'i-1' does not exist" / "The instance IDs 'i-1, i-2' do not exist". */
  notFound: (code: string, noun: string, ids: string[]) =>
    ids.length === 1
      ? err(code, `The ${noun} ID '${ids[0]}' does not exist`)
      : err(code, `The ${noun} IDs '${ids.join(", ")}' do not exist`),
  imageNotFound: (ids: string[]) => err("InvalidAMIID.NotFound", `The image id '[${ids.join(", ")}]' does not exist`),
  groupNotFound: (idOrName: string, vpcId?: string) =>
    err("InvalidGroup.NotFound", vpcId ? `The security group '${idOrName}' does not exist in VPC '${vpcId}'` : `The security group '${idOrName}' does not exist`),
  groupDuplicate: (name: string, vpcId: string) => err("InvalidGroup.Duplicate", `The security group '${name}' already exists for VPC '${vpcId}'`),
  keyPairNotFound: (name: string) => err("InvalidKeyPair.NotFound", `The key pair '${name}' does not exist`),
  keyPairDuplicate: (name: string) => err("InvalidKeyPair.Duplicate", `The keypair '${name}' already exists.`),
  idempotentParameterMismatch: () =>
    err("IdempotentParameterMismatch", "Arguments on this idempotent request are inconsistent with arguments used in previous request(s)."),
  dependencyViolation: (message: string) => err("DependencyViolation", message),
  incorrectInstanceState: (message: string) => err("IncorrectInstanceState", message),
  unsupportedOperation: (message: string) => err("UnsupportedOperation", message),
  operationNotPermitted: (message: string) => err("OperationNotPermitted", message),
  invalidPermissionDuplicate: (rule: string) => err("InvalidPermission.Duplicate", `the specified rule "${rule}" already exists`),
  invalidPermissionNotFound: () => err("InvalidPermission.NotFound", "The specified rule does not exist in this security group."),
  invalidPermissionMalformed: (message: string) => err("InvalidPermission.Malformed", message),
  tagLimitExceeded: () => err("TagLimitExceeded", "The maximum number of Tags for a resource has been reached."),
  addressLimitExceeded: () => err("AddressLimitExceeded", "The maximum number of addresses has been reached."),
  instanceLimitExceeded: (requested: number, limit: number) =>
    err(
      "InstanceLimitExceeded",
      `You have requested more instances (${requested}) than your current instance limit of ${limit} allows for the specified instance type. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.`,
    ),
};
