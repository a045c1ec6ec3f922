/**
 * The account-level IAM operations, with SDK v3 and /usr/bin/aws: renaming
 * users, GetAccountAuthorizationDetails, login profiles against the account's
 * password policy, account aliases, and service-linked roles (names, the
 * plain role operations refusing them, deletion tasks).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as I from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";

const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const TRUST = doc({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" });
const S3_READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";

function rejects(promise: Promise<unknown>, code: string, status: number, message?: RegExp | string) {
  return assert.rejects(promise, (error: any) => {
    assert.equal(error.Code ?? error.name, code, `${error.name}: ${error.message}`);
    assert.equal(error.$metadata?.httpStatusCode, status);
    if (typeof message === "string") assert.equal(error.message, message);
    else if (message) assert.match(error.message, message);
    return true;
  });
}

describe("IAM account operations", () => {
  let stratus: RunningStratus;
  let iam: I.IAMClient;
  before(async () => {
    stratus = await startTestStratus();
    iam = new I.IAMClient(sdkConfig(stratus));
  });
  after(() => stratus.stop());

  describe("UpdateUser", () => {
    it("renames and moves a user, keeping its id, keys, policies, groups and login profile", async () => {
      const created = (await iam.send(new I.CreateUserCommand({ UserName: "old-name" }))).User!;
      const key = (await iam.send(new I.CreateAccessKeyCommand({ UserName: "old-name" }))).AccessKey!;
      await iam.send(new I.PutUserPolicyCommand({ UserName: "old-name", PolicyName: "inline", PolicyDocument: doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }) }));
      await iam.send(new I.AttachUserPolicyCommand({ UserName: "old-name", PolicyArn: S3_READ_ONLY }));
      await iam.send(new I.CreateGroupCommand({ GroupName: "rename-group" }));
      await iam.send(new I.AddUserToGroupCommand({ GroupName: "rename-group", UserName: "old-name" }));
      await iam.send(new I.CreateLoginProfileCommand({ UserName: "old-name", Password: "Str0ng-Passw0rd!" }));

      await iam.send(new I.UpdateUserCommand({ UserName: "OLD-NAME", NewUserName: "new-name", NewPath: "/moved/" }));
      const user = (await iam.send(new I.GetUserCommand({ UserName: "new-name" }))).User!;
      assert.equal(user.Arn, "arn:aws:iam::000000000000:user/moved/new-name");
      assert.equal(user.Path, "/moved/");
      assert.equal(user.UserId, created.UserId);
      await rejects(iam.send(new I.GetUserCommand({ UserName: "old-name" })), "NoSuchEntity", 404, "The user with name old-name cannot be found.");
      assert.deepEqual((await iam.send(new I.ListAccessKeysCommand({ UserName: "new-name" }))).AccessKeyMetadata!.map((k) => [k.AccessKeyId, k.UserName]), [[key.AccessKeyId, "new-name"]]);
      assert.deepEqual((await iam.send(new I.ListUserPoliciesCommand({ UserName: "new-name" }))).PolicyNames, ["inline"]);
      assert.deepEqual((await iam.send(new I.ListAttachedUserPoliciesCommand({ UserName: "new-name" }))).AttachedPolicies!.map((p) => p.PolicyName), ["AmazonS3ReadOnlyAccess"]);
      assert.deepEqual((await iam.send(new I.GetGroupCommand({ GroupName: "rename-group" }))).Users!.map((u) => u.UserName), ["new-name"]);
      assert.equal((await iam.send(new I.GetLoginProfileCommand({ UserName: "new-name" }))).LoginProfile!.UserName, "new-name");
      const asUser = { ...sdkConfig(stratus), credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } };
      assert.equal((await new STSClient(asUser).send(new GetCallerIdentityCommand({}))).Arn, "arn:aws:iam::000000000000:user/moved/new-name", "its key signs as the new ARN");

      await iam.send(new I.CreateUserCommand({ UserName: "taken" }));
      await rejects(iam.send(new I.UpdateUserCommand({ UserName: "new-name", NewUserName: "Taken" })), "EntityAlreadyExists", 409, "User with name Taken already exists.");
      await rejects(iam.send(new I.UpdateUserCommand({ UserName: "ghost", NewUserName: "x" })), "NoSuchEntity", 404, "The user with name ghost cannot be found.");
      await rejects(iam.send(new I.UpdateUserCommand({ UserName: "new-name", NewPath: "no-slash" })), "ValidationError", 400, /at 'newPath'/);
    });
  });

  describe("login profiles and the password policy", () => {
    it("answers NoSuchEntity until a password policy is set, and fills in AWS's defaults", async () => {
      await rejects(iam.send(new I.GetAccountPasswordPolicyCommand({})), "NoSuchEntity", 404, "The Password Policy with domain name 000000000000 cannot be found.");
      await rejects(iam.send(new I.DeleteAccountPasswordPolicyCommand({})), "NoSuchEntity", 404, "The Password Policy with domain name 000000000000 cannot be found.");
      await iam.send(new I.UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 12, RequireSymbols: true, RequireNumbers: true }));
      assert.deepEqual((await iam.send(new I.GetAccountPasswordPolicyCommand({}))).PasswordPolicy, {
        MinimumPasswordLength: 12,
        RequireSymbols: true,
        RequireNumbers: true,
        RequireUppercaseCharacters: false,
        RequireLowercaseCharacters: false,
        AllowUsersToChangePassword: false,
        ExpirePasswords: false,
      });
      // A new policy replaces the old one whole.
      await iam.send(new I.UpdateAccountPasswordPolicyCommand({ RequireUppercaseCharacters: true, MaxPasswordAge: 90, PasswordReusePrevention: 3 }));
      const policy = (await iam.send(new I.GetAccountPasswordPolicyCommand({}))).PasswordPolicy!;
      assert.equal(policy.MinimumPasswordLength, 6);
      assert.equal(policy.RequireSymbols, false);
      assert.equal(policy.RequireUppercaseCharacters, true);
      assert.equal(policy.ExpirePasswords, true);
      assert.equal(policy.MaxPasswordAge, 90);
      assert.equal(policy.PasswordReusePrevention, 3);
      await rejects(iam.send(new I.UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 5 })), "ValidationError", 400, /at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6/);
      await iam.send(new I.DeleteAccountPasswordPolicyCommand({}));
      await rejects(iam.send(new I.GetAccountPasswordPolicyCommand({})), "NoSuchEntity", 404);
    });

    it("checks passwords against AWS's default policy, then the account's", async () => {
      await iam.send(new I.CreateUserCommand({ UserName: "console-user" }));
      await rejects(iam.send(new I.GetLoginProfileCommand({ UserName: "console-user" })), "NoSuchEntity", 404, "Login Profile for User console-user cannot be found.");
      // No policy set: 8 characters and three kinds of characters.
      await rejects(iam.send(new I.CreateLoginProfileCommand({ UserName: "console-user", Password: "alllowercase" })), "PasswordPolicyViolation", 400, "Password does not conform to the account password policy.");
      await rejects(iam.send(new I.CreateLoginProfileCommand({ UserName: "console-user", Password: "Ab1!" })), "PasswordPolicyViolation", 400);
      const created = (await iam.send(new I.CreateLoginProfileCommand({ UserName: "console-user", Password: "Welcome-2024", PasswordResetRequired: true }))).LoginProfile!;
      assert.equal(created.UserName, "console-user");
      assert.equal(created.PasswordResetRequired, true);
      assert.ok(created.CreateDate instanceof Date);
      await rejects(iam.send(new I.CreateLoginProfileCommand({ UserName: "console-user", Password: "Welcome-2024" })), "EntityAlreadyExists", 409, "Login Profile for user console-user already exists.");
      await rejects(iam.send(new I.CreateLoginProfileCommand({ UserName: "nobody", Password: "Welcome-2024" })), "NoSuchEntity", 404, "The user with name nobody cannot be found.");
      assert.equal((await iam.send(new I.GetLoginProfileCommand({ UserName: "console-user" }))).LoginProfile!.PasswordResetRequired, true);

      await iam.send(new I.UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 10, RequireSymbols: true, RequireLowercaseCharacters: true, PasswordReusePrevention: 2 }));
      await rejects(iam.send(new I.UpdateLoginProfileCommand({ UserName: "console-user", Password: "nosymbolsatall" })), "PasswordPolicyViolation", 400);
      await rejects(iam.send(new I.UpdateLoginProfileCommand({ UserName: "console-user", Password: "NOLOWER-123" })), "PasswordPolicyViolation", 400);
      await rejects(iam.send(new I.UpdateLoginProfileCommand({ UserName: "console-user", Password: "short-1" })), "PasswordPolicyViolation", 400);
      await iam.send(new I.UpdateLoginProfileCommand({ UserName: "console-user", Password: "longer-secret!", PasswordResetRequired: false }));
      // The last two passwords may not come back.
      await rejects(iam.send(new I.UpdateLoginProfileCommand({ UserName: "console-user", Password: "longer-secret!" })), "PasswordPolicyViolation", 400);
      assert.equal((await iam.send(new I.GetLoginProfileCommand({ UserName: "console-user" }))).LoginProfile!.PasswordResetRequired, false);

      await rejects(iam.send(new I.DeleteUserCommand({ UserName: "console-user" })), "DeleteConflict", 409, "Cannot delete entity, must delete login profile first.");
      await iam.send(new I.DeleteLoginProfileCommand({ UserName: "console-user" }));
      await rejects(iam.send(new I.DeleteLoginProfileCommand({ UserName: "console-user" })), "NoSuchEntity", 404, "Login Profile for User console-user cannot be found.");
      await iam.send(new I.DeleteUserCommand({ UserName: "console-user" }));
      await iam.send(new I.DeleteAccountPasswordPolicyCommand({}));
    });

    it("works with the aws CLI", async () => {
      await iam.send(new I.CreateUserCommand({ UserName: "cli-console" }));
      const weak = await awsCli(stratus, ["iam", "create-login-profile", "--user-name", "cli-console", "--password", "weak"]);
      assert.notEqual(weak.code, 0);
      assert.match(weak.stderr, /PasswordPolicyViolation.*Password does not conform to the account password policy\./);
      const ok = await awsCli(stratus, ["iam", "create-login-profile", "--user-name", "cli-console", "--password", "Good-Passw0rd", "--password-reset-required"]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.json().LoginProfile.PasswordResetRequired, true);
    });
  });

  describe("account aliases", () => {
    it("keeps one alias per account, unique across accounts", async () => {
      assert.deepEqual((await iam.send(new I.ListAccountAliasesCommand({}))).AccountAliases, []);
      await iam.send(new I.CreateAccountAliasCommand({ AccountAlias: "ml-research" }));
      await iam.send(new I.CreateAccountAliasCommand({ AccountAlias: "ml-research" }));
      assert.deepEqual((await iam.send(new I.ListAccountAliasesCommand({}))).AccountAliases, ["ml-research"]);
      await iam.send(new I.CreateAccountAliasCommand({ AccountAlias: "ml-platform" }));
      assert.deepEqual((await iam.send(new I.ListAccountAliasesCommand({}))).AccountAliases, ["ml-platform"], "a new alias replaces the old");

      const other = new I.IAMClient({ ...sdkConfig(stratus), credentials: { accessKeyId: "111111111111", secretAccessKey: "other" } });
      await rejects(other.send(new I.CreateAccountAliasCommand({ AccountAlias: "ml-platform" })), "EntityAlreadyExists", 409, "The account alias ml-platform already exists.");
      await other.send(new I.CreateAccountAliasCommand({ AccountAlias: "ml-research" }));
      assert.deepEqual((await other.send(new I.ListAccountAliasesCommand({}))).AccountAliases, ["ml-research"]);

      await rejects(iam.send(new I.CreateAccountAliasCommand({ AccountAlias: "Bad_Alias" })), "ValidationError", 400, /at 'accountAlias'/);
      await rejects(iam.send(new I.DeleteAccountAliasCommand({ AccountAlias: "ml-research" })), "NoSuchEntity", 404, "The account alias ml-research cannot be found.");
      await iam.send(new I.DeleteAccountAliasCommand({ AccountAlias: "ml-platform" }));
      const cli = await awsCli(stratus, ["iam", "list-account-aliases"]);
      assert.deepEqual(cli.json().AccountAliases, []);
    });
  });

  describe("service-linked roles", () => {
    it("names and places them as AWS does, and refuses a second one", async () => {
      const spot = (await iam.send(new I.CreateServiceLinkedRoleCommand({ AWSServiceName: "spot.amazonaws.com" }))).Role!;
      assert.equal(spot.RoleName, "AWSServiceRoleForEC2Spot");
      assert.equal(spot.Path, "/aws-service-role/spot.amazonaws.com/");
      assert.equal(spot.Arn, "arn:aws:iam::000000000000:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot");
      assert.match(spot.RoleId!, /^AROA[A-Z2-7]{17}$/);
      assert.deepEqual(JSON.parse(decodeURIComponent(spot.AssumeRolePolicyDocument!)).Statement, [{ Effect: "Allow", Principal: { Service: "spot.amazonaws.com" }, Action: "sts:AssumeRole" }]);
      await rejects(
        iam.send(new I.CreateServiceLinkedRoleCommand({ AWSServiceName: "spot.amazonaws.com" })),
        "InvalidInput",
        400,
        "Service role name AWSServiceRoleForEC2Spot has been taken in this account, please try a different suffix.",
      );
      await rejects(iam.send(new I.CreateServiceLinkedRoleCommand({ AWSServiceName: "spot.amazonaws.com", CustomSuffix: "x" })), "InvalidInput", 400, "Custom suffix is not allowed for spot.amazonaws.com");

      const fleet = await awsCli(stratus, ["iam", "create-service-linked-role", "--aws-service-name", "spotfleet.amazonaws.com"]);
      assert.equal(fleet.code, 0, fleet.stderr);
      assert.equal(fleet.json().Role.Arn, "arn:aws:iam::000000000000:role/aws-service-role/spotfleet.amazonaws.com/AWSServiceRoleForEC2SpotFleet");

      const asg = (await iam.send(new I.CreateServiceLinkedRoleCommand({ AWSServiceName: "autoscaling.amazonaws.com" }))).Role!;
      assert.equal(asg.RoleName, "AWSServiceRoleForAutoScaling");
      const suffixed = (await iam.send(new I.CreateServiceLinkedRoleCommand({ AWSServiceName: "autoscaling.amazonaws.com", CustomSuffix: "training", Description: "for training fleets" }))).Role!;
      assert.equal(suffixed.RoleName, "AWSServiceRoleForAutoScaling_training");
      assert.equal(suffixed.Description, "for training fleets");
      assert.equal((await iam.send(new I.CreateServiceLinkedRoleCommand({ AWSServiceName: "lightsail.amazonaws.com" }))).Role!.RoleName, "AWSServiceRoleForLightsail");
      await rejects(iam.send(new I.CreateServiceLinkedRoleCommand({ AWSServiceName: "dlm.amazonaws.com" })), "InvalidInput", 400, "Invalid service name: dlm.amazonaws.com");
      const listed = await iam.send(new I.ListRolesCommand({ PathPrefix: "/aws-service-role/" }));
      assert.deepEqual(listed.Roles!.map((r) => r.RoleName), ["AWSServiceRoleForAutoScaling", "AWSServiceRoleForAutoScaling_training", "AWSServiceRoleForEC2Spot", "AWSServiceRoleForEC2SpotFleet", "AWSServiceRoleForLightsail"]);
    });

    it("refuses the plain role operations on them, except editing the description", async () => {
      const name = "AWSServiceRoleForEC2Spot";
      const protectedRole = `Cannot perform the operation on the protected role '${name}' - this role is only modifiable by AWS`;
      await rejects(iam.send(new I.DeleteRoleCommand({ RoleName: name })), "UnmodifiableEntity", 400, protectedRole);
      await rejects(iam.send(new I.AttachRolePolicyCommand({ RoleName: name, PolicyArn: S3_READ_ONLY })), "UnmodifiableEntity", 400, protectedRole);
      await rejects(iam.send(new I.PutRolePolicyCommand({ RoleName: name, PolicyName: "p", PolicyDocument: doc({ Effect: "Allow", Action: "s3:*", Resource: "*" }) })), "UnmodifiableEntity", 400, protectedRole);
      await rejects(iam.send(new I.UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: TRUST })), "UnmodifiableEntity", 400, protectedRole);
      await rejects(iam.send(new I.PutRolePermissionsBoundaryCommand({ RoleName: name, PermissionsBoundary: S3_READ_ONLY })), "UnmodifiableEntity", 400, protectedRole);
      await rejects(iam.send(new I.UpdateRoleCommand({ RoleName: name, MaxSessionDuration: 7200 })), "UnmodifiableEntity", 400, protectedRole);
      await iam.send(new I.CreateInstanceProfileCommand({ InstanceProfileName: "slr-profile" }));
      await rejects(iam.send(new I.AddRoleToInstanceProfileCommand({ InstanceProfileName: "slr-profile", RoleName: name })), "UnmodifiableEntity", 400, protectedRole);
      const described = await iam.send(new I.UpdateRoleDescriptionCommand({ RoleName: name, Description: "spot, described" }));
      assert.equal(described.Role!.Description, "spot, described");
      const cli = await awsCli(stratus, ["iam", "delete-role", "--role-name", name]);
      assert.notEqual(cli.code, 0);
      assert.match(cli.stderr, /UnmodifiableEntity.*only modifiable by AWS/);
    });

    it("deletes them through DeleteServiceLinkedRole, with a deletion task", async () => {
      const { DeletionTaskId } = await iam.send(new I.DeleteServiceLinkedRoleCommand({ RoleName: "AWSServiceRoleForEC2Spot" }));
      assert.match(DeletionTaskId!, /^task\/aws-service-role\/spot\.amazonaws\.com\/AWSServiceRoleForEC2Spot\/[0-9a-f-]{36}$/);
      assert.deepEqual((await iam.send(new I.GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId }))).Status, "SUCCEEDED");
      await rejects(iam.send(new I.GetRoleCommand({ RoleName: "AWSServiceRoleForEC2Spot" })), "NoSuchEntity", 404, "The role with name AWSServiceRoleForEC2Spot cannot be found.");
      // Deleted, it can be made again.
      await iam.send(new I.CreateServiceLinkedRoleCommand({ AWSServiceName: "spot.amazonaws.com" }));

      await rejects(iam.send(new I.DeleteServiceLinkedRoleCommand({ RoleName: "AWSServiceRoleForNothing" })), "NoSuchEntity", 404, "The role with name AWSServiceRoleForNothing cannot be found.");
      await iam.send(new I.CreateRoleCommand({ RoleName: "plain-role", AssumeRolePolicyDocument: TRUST }));
      await rejects(iam.send(new I.DeleteServiceLinkedRoleCommand({ RoleName: "plain-role" })), "NoSuchEntity", 404);
      await rejects(iam.send(new I.GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: "not-a-task" })), "InvalidInput", 400);
      await rejects(
        iam.send(new I.GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: "task/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot/00000000-0000-0000-0000-000000000000" })),
        "NoSuchEntity",
        404,
      );
      const cli = await awsCli(stratus, ["iam", "delete-service-linked-role", "--role-name", "AWSServiceRoleForLightsail"]);
      assert.equal(cli.code, 0, cli.stderr);
      const status = await awsCli(stratus, ["iam", "get-service-linked-role-deletion-status", "--deletion-task-id", cli.json().DeletionTaskId]);
      assert.equal(status.json().Status, "SUCCEEDED");
    });
  });
});

describe("GetAccountAuthorizationDetails", () => {
  let stratus: RunningStratus;
  let iam: I.IAMClient;
  before(async () => {
    stratus = await startTestStratus();
    iam = new I.IAMClient(sdkConfig(stratus));
    const inline = doc({ Effect: "Allow", Action: "ec2:Describe*", Resource: "*" });
    await iam.send(new I.CreateUserCommand({ UserName: "analyst", Tags: [{ Key: "team", Value: "ml" }] }));
    await iam.send(new I.PutUserPolicyCommand({ UserName: "analyst", PolicyName: "describe", PolicyDocument: inline }));
    await iam.send(new I.CreateGroupCommand({ GroupName: "analysts" }));
    await iam.send(new I.AddUserToGroupCommand({ GroupName: "analysts", UserName: "analyst" }));
    await iam.send(new I.AttachGroupPolicyCommand({ GroupName: "analysts", PolicyArn: S3_READ_ONLY }));
    await iam.send(new I.PutGroupPolicyCommand({ GroupName: "analysts", PolicyName: "group-inline", PolicyDocument: inline }));
    await iam.send(new I.CreateRoleCommand({ RoleName: "trainer", AssumeRolePolicyDocument: TRUST }));
    await iam.send(new I.CreateInstanceProfileCommand({ InstanceProfileName: "trainer-profile" }));
    await iam.send(new I.AddRoleToInstanceProfileCommand({ InstanceProfileName: "trainer-profile", RoleName: "trainer" }));
    const local = (await iam.send(new I.CreatePolicyCommand({ PolicyName: "training-data", PolicyDocument: inline }))).Policy!;
    await iam.send(new I.CreatePolicyVersionCommand({ PolicyArn: local.Arn!, PolicyDocument: doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }), SetAsDefault: true }));
    await iam.send(new I.AttachRolePolicyCommand({ RoleName: "trainer", PolicyArn: local.Arn! }));
  });
  after(() => stratus.stop());

  it("describes users with their groups, groups, roles with their instance profiles, and policies with their versions", async () => {
    const all = await iam.send(new I.GetAccountAuthorizationDetailsCommand({}));
    assert.equal(all.IsTruncated, false);
    const [user] = all.UserDetailList!;
    assert.equal(user.UserName, "analyst");
    assert.deepEqual(user.GroupList, ["analysts"]);
    assert.deepEqual(user.UserPolicyList!.map((p) => [p.PolicyName, JSON.parse(decodeURIComponent(p.PolicyDocument!)).Statement[0].Action]), [["describe", "ec2:Describe*"]]);
    assert.deepEqual(user.AttachedManagedPolicies, []);
    assert.deepEqual(user.Tags, [{ Key: "team", Value: "ml" }]);
    const [group] = all.GroupDetailList!;
    assert.equal(group.GroupName, "analysts");
    assert.match(group.GroupId!, /^AGPA/);
    assert.deepEqual(group.GroupPolicyList!.map((p) => p.PolicyName), ["group-inline"]);
    assert.deepEqual(group.AttachedManagedPolicies, [{ PolicyName: "AmazonS3ReadOnlyAccess", PolicyArn: S3_READ_ONLY }]);
    const [role] = all.RoleDetailList!;
    assert.equal(role.RoleName, "trainer");
    assert.equal(decodeURIComponent(role.AssumeRolePolicyDocument!), TRUST);
    assert.deepEqual(role.InstanceProfileList!.map((p) => [p.InstanceProfileName, p.Roles!.map((r) => r.RoleName)]), [["trainer-profile", ["trainer"]]]);
    assert.deepEqual(role.AttachedManagedPolicies!.map((p) => p.PolicyName), ["training-data"]);
    // AWS managed policies appear when something uses them; the account's own always.
    assert.deepEqual(all.Policies!.map((p) => p.PolicyName), ["AmazonS3ReadOnlyAccess", "training-data"]);
    const local = all.Policies!.find((p) => p.PolicyName === "training-data")!;
    assert.equal(local.DefaultVersionId, "v2");
    assert.equal(local.AttachmentCount, 1);
    assert.deepEqual(local.PolicyVersionList!.map((v) => [v.VersionId, v.IsDefaultVersion]), [["v1", false], ["v2", true]]);
    assert.equal(JSON.parse(decodeURIComponent(local.PolicyVersionList![1].Document!)).Statement[0].Action, "s3:GetObject");
  });

  it("filters by entity type and pages with Marker/MaxItems", async () => {
    const roles = await iam.send(new I.GetAccountAuthorizationDetailsCommand({ Filter: ["Role"] }));
    assert.deepEqual(roles.RoleDetailList!.map((r) => r.RoleName), ["trainer"]);
    assert.deepEqual([roles.UserDetailList, roles.GroupDetailList, roles.Policies], [[], [], []]);
    const local = await iam.send(new I.GetAccountAuthorizationDetailsCommand({ Filter: ["LocalManagedPolicy"] }));
    assert.deepEqual(local.Policies!.map((p) => p.PolicyName), ["training-data"]);

    const names: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await iam.send(new I.GetAccountAuthorizationDetailsCommand({ MaxItems: 2, Marker: marker }));
      names.push(...page.UserDetailList!.map((u) => u.UserName!), ...page.GroupDetailList!.map((g) => g.GroupName!), ...page.RoleDetailList!.map((r) => r.RoleName!), ...page.Policies!.map((p) => p.PolicyName!));
      marker = page.IsTruncated ? page.Marker : undefined;
      pages++;
    } while (marker);
    assert.equal(pages, 3);
    assert.deepEqual(names, ["analyst", "analysts", "trainer", "AmazonS3ReadOnlyAccess", "training-data"]);

    const cli = await awsCli(stratus, ["iam", "get-account-authorization-details", "--filter", "Group", "User"]);
    assert.equal(cli.code, 0, cli.stderr);
    const out = cli.json();
    assert.deepEqual(out.UserDetailList.map((u: any) => u.GroupList), [["analysts"]]);
    assert.equal(out.GroupDetailList[0].GroupPolicyList[0].PolicyDocument.Statement[0].Action, "ec2:Describe*", "the CLI decodes the documents");
  });
});
