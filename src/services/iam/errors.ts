/** IAM's error catalogue: codes, statuses and wording as IAM answers them. */
import { AwsError } from "../../core/errors.js";

export const IamErrors = {
  noSuchRole: (name: string) => new AwsError("NoSuchEntity", `The role with name ${name} cannot be found.`, { status: 404 }),
  noSuchUser: (name: string) => new AwsError("NoSuchEntity", `The user with name ${name} cannot be found.`, { status: 404 }),
  noSuchRolePolicy: (policy: string) => new AwsError("NoSuchEntity", `The role policy with name ${policy} cannot be found.`, { status: 404 }),
  noSuchUserPolicy: (policy: string) => new AwsError("NoSuchEntity", `The user policy with name ${policy} cannot be found.`, { status: 404 }),
  noSuchPolicy: (arn: string) => new AwsError("NoSuchEntity", `Policy ${arn} does not exist or is not attachable.`, { status: 404 }),
  noSuchPolicyVersion: (arn: string, version: string) =>
    new AwsError("NoSuchEntity", `Policy ${arn} version ${version} does not exist or is not attachable.`, { status: 404 }),
  policyNotAttached: (arn: string) => new AwsError("NoSuchEntity", `Policy ${arn} was not found.`, { status: 404 }),
  noSuchBoundary: (arn: string) => new AwsError("NoSuchEntity", `Scope ARN: ${arn} does not exist or is not attachable.`, { status: 404 }),
  noSuchInstanceProfile: (name: string) => new AwsError("NoSuchEntity", `Instance Profile ${name} cannot be found.`, { status: 404 }),
  noSuchGroup: (name: string) => new AwsError("NoSuchEntity", `The group with name ${name} cannot be found.`, { status: 404 }),
  noSuchGroupPolicy: (policy: string) => new AwsError("NoSuchEntity", `The group policy with name ${policy} cannot be found.`, { status: 404 }),
  noSuchLoginProfile: (user: string) => new AwsError("NoSuchEntity", `Login Profile for User ${user} cannot be found.`, { status: 404 }),
  noSuchPasswordPolicy: (account: string) => new AwsError("NoSuchEntity", `The Password Policy with domain name ${account} cannot be found.`, { status: 404 }),
  noSuchAccountAlias: (alias: string) => new AwsError("NoSuchEntity", `The account alias ${alias} cannot be found.`, { status: 404 }),
  noSuchEntity: (message: string) => new AwsError("NoSuchEntity", message, { status: 404 }),
  noSuchAccessKey: (id: string) => new AwsError("NoSuchEntity", `The Access Key with id ${id} cannot be found.`, { status: 404 }),

  roleExists: (name: string) => new AwsError("EntityAlreadyExists", `Role with name ${name} already exists.`, { status: 409 }),
  userExists: (name: string) => new AwsError("EntityAlreadyExists", `User with name ${name} already exists.`, { status: 409 }),
  policyExists: (name: string) =>
    new AwsError("EntityAlreadyExists", `A policy called ${name} already exists. Duplicate names are not allowed.`, { status: 409 }),
  groupExists: (name: string) => new AwsError("EntityAlreadyExists", `Group with name ${name} already exists.`, { status: 409 }),
  loginProfileExists: (user: string) => new AwsError("EntityAlreadyExists", `Login Profile for user ${user} already exists.`, { status: 409 }),
  accountAliasExists: (alias: string) => new AwsError("EntityAlreadyExists", `The account alias ${alias} already exists.`, { status: 409 }),
  instanceProfileExists: (name: string) => new AwsError("EntityAlreadyExists", `Instance Profile ${name} already exists.`, { status: 409 }),

  deleteConflict: (message: string) => new AwsError("DeleteConflict", message, { status: 409 }),
  limitExceeded: (message: string) => new AwsError("LimitExceeded", message, { status: 409 }),
  quota: (name: string, value: number) => new AwsError("LimitExceeded", `Cannot exceed quota for ${name}: ${value}`, { status: 409 }),
  passwordPolicyViolation: () => new AwsError("PasswordPolicyViolation", "Password does not conform to the account password policy.", { status: 400 }),
  /** A service-linked role: only its service may change or delete it. */
  unmodifiableRole: (name: string) =>
    new AwsError("UnmodifiableEntity", `Cannot perform the operation on the protected role '${name}' - this role is only modifiable by AWS`, { status: 400 }),
  malformed: (message: string) => new AwsError("MalformedPolicyDocument", message, { status: 400 }),
  invalidInput: (message: string) => new AwsError("InvalidInput", message, { status: 400 }),
  validation: (message: string) => new AwsError("ValidationError", message, { status: 400 }),
  invalidArn: (arn: string) => new AwsError("InvalidInput", `ARN ${arn} is not valid.`, { status: 400 }),
};
