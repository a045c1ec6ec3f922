/**
 * IAM and STS answer as AWS does, through boto3 (with its paginators and
 * waiters), both aws CLIs and SDK v3: response shapes, documents URL-encoded
 * on the wire and decoded by the CLIs and boto3, AWS's error codes and words,
 * session limits, and assumed-role credentials that work with every client.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GetInstanceProfileCommand, GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand } from "@aws-sdk/client-iam";
import { GetAccessKeyInfoCommand, GetFederationTokenCommand, STSClient } from "@aws-sdk/client-sts";
import type { RunningStratus } from "../../src/index.js";
import { AWS_CLI_V1, awsCli, bash, boto3, hasBoto3, sdkConfig, startTestStratus } from "../support/stratus.js";

const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });
/** A role the account may assume (with session tags), as AWS requires of AssumeRole. */
const ASSUMABLE = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::000000000000:root" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
});
const S3_READ = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/a b" }] });

describe("IAM conformance", () => {
  let stratus: RunningStratus;
  before(async () => {
    stratus = await startTestStratus();
  });
  after(() => stratus.stop());

  it("boto3 sees AWS's role shapes, errors, paginators and waiters", { skip: !hasBoto3() && "boto3 is not installed" }, async () => {
    const out = await boto3(
      stratus,
      `
iam = client("iam")
trust = ${JSON.stringify(TRUST)}
call("create", lambda: iam.create_role(RoleName="shape", Path="/team/", AssumeRolePolicyDocument=trust, Tags=[{"Key": "test", "Value": "value"}]))
iam.put_role_permissions_boundary(RoleName="shape", PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")
call("get", lambda: iam.get_role(RoleName="shape"))
call("list", lambda: iam.list_roles(PathPrefix="/team/"))
call("bad-json", lambda: iam.create_role(RoleName="broken", AssumeRolePolicyDocument='{"Version": "2012-10-17",'))
call("attach-name", lambda: iam.attach_role_policy(RoleName="shape", PolicyArn="ReadOnlyAccess-by-name"))
call("attach-missing", lambda: iam.attach_role_policy(RoleName="shape", PolicyArn="arn:aws:iam::000000000000:policy/nope"))
call("delete-missing", lambda: iam.delete_policy(PolicyArn="arn:aws:iam::000000000000:policy/nope"))
call("get-missing", lambda: iam.get_role(RoleName="nope"))
call("exists", lambda: iam.create_role(RoleName="SHAPE", AssumeRolePolicyDocument=trust))
iam.put_role_policy(RoleName="shape", PolicyName="read", PolicyDocument=${JSON.stringify(S3_READ)})
call("inline", lambda: iam.get_role_policy(RoleName="shape", PolicyName="read"))
call("conflict", lambda: iam.delete_role(RoleName="shape"))
for i in range(5):
    iam.create_role(RoleName=f"page-{i}", Path="/paged/", AssumeRolePolicyDocument=trust)
    iam.create_user(UserName=f"page-{i}", Path="/paged/")
    iam.create_instance_profile(InstanceProfileName=f"page-{i}", Path="/paged/")
    iam.create_policy(PolicyName=f"page-{i}", Path="/paged/", PolicyDocument=${JSON.stringify(S3_READ)})
def pages(op, key, **kw):
    return [[x.get("RoleName") or x.get("UserName") or x.get("InstanceProfileName") or x.get("PolicyName") for x in p[key]] for p in iam.get_paginator(op).paginate(PaginationConfig={"PageSize": 2}, **kw)]
out["role-pages"] = pages("list_roles", "Roles", PathPrefix="/paged/")
out["user-pages"] = pages("list_users", "Users", PathPrefix="/paged/")
out["profile-pages"] = pages("list_instance_profiles", "InstanceProfiles", PathPrefix="/paged/")
out["policy-pages"] = pages("list_policies", "Policies", Scope="Local", PathPrefix="/paged/")
waited = []
for name, kw in [("role_exists", {"RoleName": "page-1"}), ("user_exists", {"UserName": "page-1"}), ("instance_profile_exists", {"InstanceProfileName": "page-1"}), ("policy_exists", {"PolicyArn": "arn:aws:iam::000000000000:policy/paged/page-1"})]:
    iam.get_waiter(name).wait(WaiterConfig={"Delay": 1, "MaxAttempts": 1}, **kw)
    waited.append(name)
out["waited"] = waited
try:
    iam.get_waiter("role_exists").wait(RoleName="never", WaiterConfig={"Delay": 1, "MaxAttempts": 1})
except botocore.exceptions.WaiterError:
    out["waiter-missing"] = "failed"
`,
    );
    const created = out.create.Role;
    assert.equal(created.MaxSessionDuration, undefined, "CreateRole's answer has no MaxSessionDuration");
    assert.equal(created.RoleLastUsed, undefined);
    assert.deepEqual(created.Tags, [{ Key: "test", Value: "value" }]);
    assert.deepEqual(created.AssumeRolePolicyDocument, JSON.parse(TRUST), "boto3 decodes the URL-encoded document");
    const got = out.get.Role;
    assert.equal(got.MaxSessionDuration, 3600);
    assert.deepEqual(got.RoleLastUsed, {});
    assert.deepEqual(got.Tags, [{ Key: "test", Value: "value" }]);
    assert.deepEqual(got.PermissionsBoundary, { PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" });
    const listed = out.list.Roles[0];
    assert.equal(out.list.IsTruncated, false);
    assert.equal(listed.MaxSessionDuration, 3600);
    for (const absent of ["Tags", "RoleLastUsed", "PermissionsBoundary"]) assert.equal(listed[absent], undefined, `ListRoles leaves out ${absent}`);

    assert.deepEqual(out["bad-json"], { error: { Type: "Sender", Code: "MalformedPolicyDocument", Message: "This policy contains invalid Json" }, status: 400 });
    assert.deepEqual(out["attach-name"], { error: { Type: "Sender", Code: "ValidationError", Message: "Invalid ARN:  Could not be parsed!" }, status: 400 });
    assert.deepEqual(out["attach-missing"].error.Message, "Policy arn:aws:iam::000000000000:policy/nope does not exist or is not attachable.");
    assert.deepEqual(out["delete-missing"], { error: { Type: "Sender", Code: "NoSuchEntity", Message: "Policy arn:aws:iam::000000000000:policy/nope was not found." }, status: 404 });
    assert.deepEqual(out["get-missing"], { error: { Type: "Sender", Code: "NoSuchEntity", Message: "The role with name nope cannot be found." }, status: 404 });
    assert.deepEqual(out.exists, { error: { Type: "Sender", Code: "EntityAlreadyExists", Message: "Role with name SHAPE already exists." }, status: 409 });
    assert.deepEqual(out.inline.PolicyDocument, JSON.parse(S3_READ));
    assert.deepEqual([out.conflict.error.Code, out.conflict.status], ["DeleteConflict", 409]);

    const five = [["page-0", "page-1"], ["page-2", "page-3"], ["page-4"]];
    for (const key of ["role-pages", "user-pages", "profile-pages", "policy-pages"]) assert.deepEqual(out[key], five, key);
    assert.deepEqual(out.waited, ["role_exists", "user_exists", "instance_profile_exists", "policy_exists"]);
    assert.equal(out["waiter-missing"], "failed");
  });

  it("sends documents URL-encoded: both CLIs decode them, SDK v3 leaves that to the caller", async () => {
    await bash(stratus, `aws iam create-role --role-name encoded --assume-role-policy-document '${TRUST}' >/dev/null && aws iam put-role-policy --role-name encoded --policy-name read --policy-document '${S3_READ}'`);
    const sdk = await new IAMClient(sdkConfig(stratus)).send(new GetRolePolicyCommand({ RoleName: "encoded", PolicyName: "read" }));
    assert.match(sdk.PolicyDocument!, /^%7B%22Version%22%3A%222012-10-17%22/);
    assert.deepEqual(JSON.parse(decodeURIComponent(sdk.PolicyDocument!)), JSON.parse(S3_READ));
    const clis = [undefined, AWS_CLI_V1].filter((b, i) => i === 0 || b !== undefined);
    for (const binary of clis) {
      const result = await awsCli(stratus, ["iam", "get-role-policy", "--role-name", "encoded", "--policy-name", "read"], { binary });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(result.json().PolicyDocument, JSON.parse(S3_READ), `${binary ?? "aws v2"} decodes the document`);
    }
  });

  it("runs the exercise's IAM commands through the pip aws CLI", { skip: !AWS_CLI_V1 && "the pip aws CLI is not installed" }, async () => {
    const result = await bash(
      stratus,
      `
aws iam create-role \\
  --role-name AWSDataLifecycleManagerDefaultRole \\
  --assume-role-policy-document '{
    "Version": "2012-10-17",
    "Statement": [{
      "Effect": "Allow",
      "Principal": {"Service": "dlm.amazonaws.com"},
      "Action": "sts:AssumeRole"
    }]
  }' >/dev/null
aws iam attach-role-policy \\
  --role-name AWSDataLifecycleManagerDefaultRole \\
  --policy-arn arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole
aws iam create-instance-profile --instance-profile-name ml-inference-ec2-profile >/dev/null
aws iam add-role-to-instance-profile --instance-profile-name ml-inference-ec2-profile --role-name AWSDataLifecycleManagerDefaultRole
`,
      { binary: AWS_CLI_V1 },
    );
    assert.equal(result.code, 0, result.stderr);
    const iam = new IAMClient(sdkConfig(stratus));
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "AWSDataLifecycleManagerDefaultRole" }));
    assert.deepEqual(attached.AttachedPolicies?.map((p) => p.PolicyName), ["AWSDataLifecycleManagerServiceRole"]);
    const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: "ml-inference-ec2-profile" }));
    assert.deepEqual(profile.InstanceProfile?.Roles?.map((r) => r.RoleName), ["AWSDataLifecycleManagerDefaultRole"]);
  });
});

describe("STS conformance", () => {
  let stratus: RunningStratus;
  before(async () => {
    stratus = await startTestStratus();
  });
  after(() => stratus.stop());

  it("boto3: AWS's validation, session limits, and assumed-role credentials that work", { skip: !hasBoto3() && "boto3 is not installed" }, async () => {
    const out = await boto3(
      stratus,
      `
iam = client("iam")
sts = client("sts")
iam.create_role(RoleName="worker", AssumeRolePolicyDocument=${JSON.stringify(ASSUMABLE)})
# The trust policy names the account: the worker's own sessions also need an identity policy to chain into it.
iam.put_role_policy(RoleName="worker", PolicyName="chain", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
arn = "arn:aws:iam::000000000000:role/worker"
call("malformed-arn", lambda: sts.assume_role(RoleArn="nothing-valid-in-here", RoleSessionName="s1"))
call("no-service", lambda: sts.assume_role(RoleArn="arn:a::::something/test-role", RoleSessionName="s1"))
call("session-name", lambda: sts.assume_role(RoleArn=arn, RoleSessionName="Session1:2"))
call("dup-tags", lambda: sts.assume_role(RoleArn=arn, RoleSessionName="s1", Tags=[{"Key": "team", "Value": "a"}, {"Key": "Team", "Value": "b"}]))
call("transitive", lambda: sts.assume_role(RoleArn=arn, RoleSessionName="s1", Tags=[{"Key": "team", "Value": "a"}], TransitiveTagKeys=["project"]))
call("bad-policy", lambda: sts.assume_role(RoleArn=arn, RoleSessionName="s1", Policy="{not json"))
plain = call("plain", lambda: sts.assume_role(RoleArn=arn, RoleSessionName="s1"))
out["plain-keys"] = sorted(plain.keys())
tagged = call("tagged", lambda: sts.assume_role(RoleArn=arn, RoleSessionName="s1", Tags=[{"Key": "team", "Value": "a"}]))
out["tagged-packed"] = tagged.get("PackedPolicySize")
creds = plain["Credentials"]
session = client("sts", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"])
call("as-role", lambda: session.get_caller_identity())
call("chained-long", lambda: session.assume_role(RoleArn=arn, RoleSessionName="again", DurationSeconds=7200))
call("session-token-from-session", lambda: session.get_session_token())
root_token = call("root-token", lambda: sts.get_session_token(DurationSeconds=7200))
out["root-token-seconds"] = round((datetime.datetime.fromisoformat(str(root_token["Credentials"]["Expiration"])) - datetime.datetime.now(datetime.timezone.utc)).total_seconds())
call("federation", lambda: sts.get_federation_token(Name="bob"))
call("key-info", lambda: sts.get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE"))
`,
    );
    assert.deepEqual(out["malformed-arn"], { error: { Type: "Sender", Code: "ValidationError", Message: "nothing-valid-in-here is invalid" }, status: 400 });
    assert.equal(out["no-service"].error.Message, "arn:a::::something/test-role is invalid");
    assert.equal(
      out["session-name"].error.Message,
      "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    );
    assert.deepEqual(out["dup-tags"], {
      error: { Type: "Sender", Code: "InvalidParameterValue", Message: "Duplicate tag keys found. Please note that Tag keys are case insensitive." },
      status: 400,
    });
    assert.equal(out.transitive.error.Message, "The specified transitive tag key must be included in the requested tags.");
    assert.equal(out["bad-policy"].error.Code, "MalformedPolicyDocument");
    assert.deepEqual(out["plain-keys"], ["AssumedRoleUser", "Credentials"], "no PackedPolicySize without a policy or tags");
    assert.equal(typeof out["tagged-packed"], "number");
    assert.equal(out["as-role"].Arn, "arn:aws:sts::000000000000:assumed-role/worker/s1");
    assert.equal(out["chained-long"].error.Message, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
    assert.deepEqual(out["session-token-from-session"].error, { Type: "Sender", Code: "AccessDenied", Message: "Cannot call GetSessionToken with session credentials" });
    assert.ok(out["root-token-seconds"] > 3500 && out["root-token-seconds"] <= 3600, `a root session lasts at most an hour: ${out["root-token-seconds"]}`);
    assert.deepEqual(out.federation.FederatedUser, { FederatedUserId: "000000000000:bob", Arn: "arn:aws:sts::000000000000:federated-user/bob" });
    assert.equal(out.federation.PackedPolicySize, 0);
    assert.deepEqual(out["key-info"], { Account: "000000000000" });
  });

  it("assumed-role credentials work through both CLIs (AWS_SESSION_TOKEN) and SDK v3", async () => {
    await bash(stratus, `aws iam create-role --role-name cli-role --assume-role-policy-document '${ASSUMABLE}' >/dev/null`);
    const assumed = await awsCli(stratus, ["sts", "assume-role", "--role-arn", "arn:aws:iam::000000000000:role/cli-role", "--role-session-name", "cli"]);
    const creds = assumed.json().Credentials;
    const env = { AWS_ACCESS_KEY_ID: creds.AccessKeyId, AWS_SECRET_ACCESS_KEY: creds.SecretAccessKey, AWS_SESSION_TOKEN: creds.SessionToken };
    for (const binary of [undefined, AWS_CLI_V1].filter((b, i) => i === 0 || b !== undefined)) {
      const who = await awsCli(stratus, ["sts", "get-caller-identity", "--query", "Arn", "--output", "text"], { binary, env });
      assert.equal(who.stdout.trim(), "arn:aws:sts::000000000000:assumed-role/cli-role/cli", `${binary ?? "aws v2"}: ${who.stderr}`);
    }
    const federated = await new STSClient(sdkConfig(stratus)).send(new GetFederationTokenCommand({ Name: "carol", DurationSeconds: 900 }));
    assert.equal(federated.FederatedUser?.Arn, "arn:aws:sts::000000000000:federated-user/carol");
    const asCarol = new STSClient({
      ...sdkConfig(stratus),
      credentials: {
        accessKeyId: federated.Credentials!.AccessKeyId!,
        secretAccessKey: federated.Credentials!.SecretAccessKey!,
        sessionToken: federated.Credentials!.SessionToken!,
      },
    });
    const info = await asCarol.send(new GetAccessKeyInfoCommand({ AccessKeyId: federated.Credentials!.AccessKeyId! }));
    assert.equal(info.Account, "000000000000");
  });
});
