/**
 * IAM groups with SDK v3 and /usr/bin/aws: lifecycle, membership, inline and
 * attached policies with IAM's errors; a member gets its groups' policies
 * (enforced with its own key, and simulated); groups and memberships survive
 * a restart.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import * as I from "@aws-sdk/client-iam";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { startStratus, type RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";

const S3_READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

function rejects(promise: Promise<unknown>, code: string, status: number, message?: RegExp | string) {
  return assert.rejects(promise, (error: any) => {
    assert.equal(error.Code ?? error.name, code, `${error.name}: ${error.message}`);
    assert.equal(error.$metadata?.httpStatusCode, status);
    if (typeof message === "string") assert.equal(error.message, message);
    else if (message) assert.match(error.message, message);
    return true;
  });
}

describe("IAM groups", () => {
  let stratus: RunningStratus;
  let iam: I.IAMClient;
  before(async () => {
    stratus = await startTestStratus();
    iam = new I.IAMClient(sdkConfig(stratus));
  });
  after(() => stratus.stop());

  it("creates, reads, lists, renames and deletes a group", async () => {
    const { Group } = await iam.send(new I.CreateGroupCommand({ GroupName: "ml-engineers", Path: "/teams/" }));
    assert.equal(Group!.Arn, "arn:aws:iam::000000000000:group/teams/ml-engineers");
    assert.match(Group!.GroupId!, /^AGPA[A-Z2-7]{17}$/);
    assert.equal(Group!.Path, "/teams/");
    await iam.send(new I.CreateGroupCommand({ GroupName: "auditors" }));
    await rejects(iam.send(new I.CreateGroupCommand({ GroupName: "ML-Engineers" })), "EntityAlreadyExists", 409, "Group with name ML-Engineers already exists.");
    await rejects(
      iam.send(new I.CreateGroupCommand({ GroupName: "bad name" })),
      "ValidationError",
      400,
      "1 validation error detected: Value 'bad name' at 'groupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    );
    await rejects(iam.send(new I.CreateGroupCommand({ GroupName: "g".repeat(129) })), "ValidationError", 400, /at 'groupName' failed to satisfy constraint: Member must have length less than or equal to 128/);

    assert.deepEqual((await iam.send(new I.ListGroupsCommand({ PathPrefix: "/teams/" }))).Groups!.map((g) => g.GroupName), ["ml-engineers"]);
    const first = await iam.send(new I.ListGroupsCommand({ MaxItems: 1 }));
    assert.deepEqual(first.Groups!.map((g) => g.GroupName), ["auditors"]);
    assert.equal(first.IsTruncated, true);
    const second = await iam.send(new I.ListGroupsCommand({ MaxItems: 1, Marker: first.Marker }));
    assert.deepEqual(second.Groups!.map((g) => g.GroupName), ["ml-engineers"]);
    assert.equal(second.IsTruncated, false);

    await iam.send(new I.UpdateGroupCommand({ GroupName: "ML-ENGINEERS", NewGroupName: "ml-platform", NewPath: "/platform/" }));
    const renamed = (await iam.send(new I.GetGroupCommand({ GroupName: "ml-platform" }))).Group!;
    assert.equal(renamed.Arn, "arn:aws:iam::000000000000:group/platform/ml-platform");
    assert.equal(renamed.GroupId, Group!.GroupId, "renaming keeps the id");
    await rejects(iam.send(new I.GetGroupCommand({ GroupName: "ml-engineers" })), "NoSuchEntity", 404, "The group with name ml-engineers cannot be found.");
    await rejects(iam.send(new I.UpdateGroupCommand({ GroupName: "ml-platform", NewGroupName: "Auditors" })), "EntityAlreadyExists", 409, "Group with name Auditors already exists.");
    await rejects(iam.send(new I.UpdateGroupCommand({ GroupName: "nobody", NewPath: "/x/" })), "NoSuchEntity", 404, "The group with name nobody cannot be found.");

    await iam.send(new I.DeleteGroupCommand({ GroupName: "ml-platform" }));
    await iam.send(new I.DeleteGroupCommand({ GroupName: "auditors" }));
    await rejects(iam.send(new I.DeleteGroupCommand({ GroupName: "auditors" })), "NoSuchEntity", 404, "The group with name auditors cannot be found.");
    assert.deepEqual((await iam.send(new I.ListGroupsCommand({}))).Groups, []);
  });

  it("adds and removes members, pages them, and lists a user's groups", async () => {
    await iam.send(new I.CreateGroupCommand({ GroupName: "readers" }));
    await iam.send(new I.CreateGroupCommand({ GroupName: "writers" }));
    for (const name of ["ann", "ben", "cat"]) {
      await iam.send(new I.CreateUserCommand({ UserName: name }));
      await iam.send(new I.AddUserToGroupCommand({ GroupName: "readers", UserName: name }));
    }
    await iam.send(new I.AddUserToGroupCommand({ GroupName: "readers", UserName: "ANN" }));
    await iam.send(new I.AddUserToGroupCommand({ GroupName: "writers", UserName: "ann" }));
    const page1 = await iam.send(new I.GetGroupCommand({ GroupName: "readers", MaxItems: 2 }));
    assert.equal(page1.Group!.GroupName, "readers");
    assert.deepEqual(page1.Users!.map((u) => u.UserName), ["ann", "ben"]);
    assert.equal(page1.IsTruncated, true);
    const page2 = await iam.send(new I.GetGroupCommand({ GroupName: "readers", MaxItems: 2, Marker: page1.Marker }));
    assert.deepEqual(page2.Users!.map((u) => u.UserName), ["cat"]);
    assert.equal(page2.IsTruncated, false);
    assert.deepEqual((await iam.send(new I.ListGroupsForUserCommand({ UserName: "ann" }))).Groups!.map((g) => g.GroupName), ["readers", "writers"]);

    await rejects(iam.send(new I.AddUserToGroupCommand({ GroupName: "readers", UserName: "nobody" })), "NoSuchEntity", 404, "The user with name nobody cannot be found.");
    await rejects(iam.send(new I.AddUserToGroupCommand({ GroupName: "nogroup", UserName: "ann" })), "NoSuchEntity", 404, "The group with name nogroup cannot be found.");
    await rejects(iam.send(new I.RemoveUserFromGroupCommand({ GroupName: "writers", UserName: "ben" })), "NoSuchEntity", 404);
    await rejects(iam.send(new I.ListGroupsForUserCommand({ UserName: "nobody" })), "NoSuchEntity", 404, "The user with name nobody cannot be found.");

    await rejects(iam.send(new I.DeleteGroupCommand({ GroupName: "writers" })), "DeleteConflict", 409, "Cannot delete entity, must remove users from group first.");
    await rejects(iam.send(new I.DeleteUserCommand({ UserName: "ben" })), "DeleteConflict", 409, "Cannot delete entity, must remove users from group first.");
    await iam.send(new I.RemoveUserFromGroupCommand({ GroupName: "readers", UserName: "ben" }));
    await iam.send(new I.DeleteUserCommand({ UserName: "ben" }));
    await iam.send(new I.RemoveUserFromGroupCommand({ GroupName: "writers", UserName: "ann" }));
    await iam.send(new I.DeleteGroupCommand({ GroupName: "writers" }));
    assert.deepEqual((await iam.send(new I.ListGroupsForUserCommand({ UserName: "ann" }))).Groups!.map((g) => g.GroupName), ["readers"]);
  });

  it("caps a user at 10 groups", async () => {
    await iam.send(new I.CreateUserCommand({ UserName: "joiner" }));
    for (let i = 0; i < 10; i++) {
      await iam.send(new I.CreateGroupCommand({ GroupName: `quota-${i}` }));
      await iam.send(new I.AddUserToGroupCommand({ GroupName: `quota-${i}`, UserName: "joiner" }));
    }
    await iam.send(new I.CreateGroupCommand({ GroupName: "quota-10" }));
    await rejects(iam.send(new I.AddUserToGroupCommand({ GroupName: "quota-10", UserName: "joiner" })), "LimitExceeded", 409, "Cannot exceed quota for GroupsPerUser: 10");
    for (let i = 0; i < 10; i++) await iam.send(new I.RemoveUserFromGroupCommand({ GroupName: `quota-${i}`, UserName: "joiner" }));
    for (let i = 0; i <= 10; i++) await iam.send(new I.DeleteGroupCommand({ GroupName: `quota-${i}` }));
  });

  it("holds inline and attached policies, counted by the policies and refusing deletes", async () => {
    await iam.send(new I.CreateGroupCommand({ GroupName: "ops" }));
    const inline = doc({ Effect: "Allow", Action: "ec2:Describe*", Resource: "*" });
    await iam.send(new I.PutGroupPolicyCommand({ GroupName: "ops", PolicyName: "describe", PolicyDocument: inline }));
    const got = await iam.send(new I.GetGroupPolicyCommand({ GroupName: "OPS", PolicyName: "describe" }));
    assert.equal(got.GroupName, "ops");
    assert.match(got.PolicyDocument!, /^%7B%22Version%22/, "URL-encoded, as IAM returns it");
    assert.equal(decodeURIComponent(got.PolicyDocument!), inline);
    assert.deepEqual((await iam.send(new I.ListGroupPoliciesCommand({ GroupName: "ops" }))).PolicyNames, ["describe"]);
    await rejects(iam.send(new I.GetGroupPolicyCommand({ GroupName: "ops", PolicyName: "nope" })), "NoSuchEntity", 404, "The group policy with name nope cannot be found.");
    await rejects(iam.send(new I.PutGroupPolicyCommand({ GroupName: "ops", PolicyName: "bad", PolicyDocument: "{not json" })), "MalformedPolicyDocument", 400, "This policy contains invalid Json");
    await rejects(
      iam.send(new I.PutGroupPolicyCommand({ GroupName: "ops", PolicyName: "big", PolicyDocument: doc({ Effect: "Allow", Action: "s3:GetObject", Resource: Array.from({ length: 250 }, (_, i) => `arn:aws:s3:::bucket-${i}/*`) }) })),
      "LimitExceeded",
      409,
      "Maximum policy size of 5120 bytes exceeded for group ops",
    );
    await rejects(iam.send(new I.PutGroupPolicyCommand({ GroupName: "nope", PolicyName: "p", PolicyDocument: inline })), "NoSuchEntity", 404, "The group with name nope cannot be found.");

    const local = (await iam.send(new I.CreatePolicyCommand({ PolicyName: "ops-local", PolicyDocument: inline }))).Policy!;
    await iam.send(new I.AttachGroupPolicyCommand({ GroupName: "ops", PolicyArn: S3_READ_ONLY }));
    await iam.send(new I.AttachGroupPolicyCommand({ GroupName: "ops", PolicyArn: local.Arn! }));
    assert.deepEqual(
      (await iam.send(new I.ListAttachedGroupPoliciesCommand({ GroupName: "ops" }))).AttachedPolicies,
      [
        { PolicyName: "AmazonS3ReadOnlyAccess", PolicyArn: S3_READ_ONLY },
        { PolicyName: "ops-local", PolicyArn: local.Arn },
      ],
    );
    assert.equal((await iam.send(new I.GetPolicyCommand({ PolicyArn: local.Arn! }))).Policy!.AttachmentCount, 1);
    const entities = await iam.send(new I.ListEntitiesForPolicyCommand({ PolicyArn: S3_READ_ONLY }));
    assert.deepEqual(entities.PolicyGroups!.map((g) => g.GroupName), ["ops"]);
    assert.deepEqual((await iam.send(new I.ListEntitiesForPolicyCommand({ PolicyArn: S3_READ_ONLY, EntityFilter: "User" }))).PolicyGroups, []);
    const onlyAttached = await iam.send(new I.ListPoliciesCommand({ Scope: "Local", OnlyAttached: true }));
    assert.deepEqual(onlyAttached.Policies!.map((p) => p.PolicyName), ["ops-local"]);
    await rejects(iam.send(new I.AttachGroupPolicyCommand({ GroupName: "ops", PolicyArn: "arn:aws:iam::aws:policy/NoSuchPolicy" })), "NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.");
    await rejects(iam.send(new I.AttachGroupPolicyCommand({ GroupName: "ops", PolicyArn: "ops-local" })), "ValidationError", 400);
    await rejects(iam.send(new I.DetachGroupPolicyCommand({ GroupName: "ops", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" })), "NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/ReadOnlyAccess was not found.");

    await rejects(iam.send(new I.DeletePolicyCommand({ PolicyArn: local.Arn! })), "DeleteConflict", 409, "Cannot delete a policy attached to entities.");
    await rejects(iam.send(new I.DeleteGroupCommand({ GroupName: "ops" })), "DeleteConflict", 409, "Cannot delete entity, must delete policies first.");
    await iam.send(new I.DeleteGroupPolicyCommand({ GroupName: "ops", PolicyName: "describe" }));
    await rejects(iam.send(new I.DeleteGroupPolicyCommand({ GroupName: "ops", PolicyName: "describe" })), "NoSuchEntity", 404, "The group policy with name describe cannot be found.");
    await rejects(iam.send(new I.DeleteGroupCommand({ GroupName: "ops" })), "DeleteConflict", 409, "Cannot delete entity, must detach all policies first.");
    await iam.send(new I.DetachGroupPolicyCommand({ GroupName: "ops", PolicyArn: S3_READ_ONLY }));
    await iam.send(new I.DetachGroupPolicyCommand({ GroupName: "ops", PolicyArn: local.Arn! }));
    await iam.send(new I.DeletePolicyCommand({ PolicyArn: local.Arn! }));
    await iam.send(new I.DeleteGroupCommand({ GroupName: "ops" }));
  });

  it("drives groups with the aws CLI, which decodes group policies", async () => {
    const steps: string[][] = [
      ["iam", "create-group", "--group-name", "cli-group"],
      ["iam", "create-user", "--user-name", "cli-member"],
      ["iam", "add-user-to-group", "--group-name", "cli-group", "--user-name", "cli-member"],
      ["iam", "put-group-policy", "--group-name", "cli-group", "--policy-name", "p", "--policy-document", doc({ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" })],
    ];
    for (const args of steps) {
      const run = await awsCli(stratus, args);
      assert.equal(run.code, 0, run.stderr);
    }
    const group = (await awsCli(stratus, ["iam", "get-group", "--group-name", "cli-group"])).json();
    assert.deepEqual(group.Users.map((u: any) => u.UserName), ["cli-member"]);
    const policy = (await awsCli(stratus, ["iam", "get-group-policy", "--group-name", "cli-group", "--policy-name", "p"])).json();
    assert.equal(policy.PolicyDocument.Statement[0].Action, "s3:ListBucket");
    const forUser = (await awsCli(stratus, ["iam", "list-groups-for-user", "--user-name", "cli-member"])).json();
    assert.deepEqual(forUser.Groups.map((g: any) => g.GroupName), ["cli-group"]);
    const missing = await awsCli(stratus, ["iam", "get-group", "--group-name", "nope"]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NoSuchEntity.*The group with name nope cannot be found\./);
  });
});

describe("IAM groups' policies, enforced and simulated", () => {
  let stratus: RunningStratus;
  let iam: I.IAMClient;
  let member: { accessKeyId: string; secretAccessKey: string };
  const s3As = (credentials: typeof member) => new S3Client({ ...sdkConfig(stratus), credentials, forcePathStyle: true });

  before(async () => {
    stratus = await startTestStratus();
    iam = new I.IAMClient(sdkConfig(stratus));
    const root = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
    await root.send(new CreateBucketCommand({ Bucket: "group-data" }));
    await root.send(new PutObjectCommand({ Bucket: "group-data", Key: "train.csv", Body: "a,b" }));
    await iam.send(new I.CreateUserCommand({ UserName: "dana" }));
    const key = (await iam.send(new I.CreateAccessKeyCommand({ UserName: "dana" }))).AccessKey!;
    member = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
    await iam.send(new I.CreateGroupCommand({ GroupName: "data-readers" }));
    await iam.send(new I.AttachGroupPolicyCommand({ GroupName: "data-readers", PolicyArn: S3_READ_ONLY }));
  });
  after(() => stratus.stop());

  it("lets a member of a group with AmazonS3ReadOnlyAccess read but not write, until removed", async () => {
    const s3 = s3As(member);
    await rejects(s3.send(new ListObjectsV2Command({ Bucket: "group-data" })), "AccessDenied", 403, /because no identity-based policy allows the s3:ListBucket action/);
    await iam.send(new I.AddUserToGroupCommand({ GroupName: "data-readers", UserName: "dana" }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: "group-data" }));
    assert.deepEqual(listed.Contents!.map((o) => o.Key), ["train.csv"]);
    const got = await s3.send(new GetObjectCommand({ Bucket: "group-data", Key: "train.csv" }));
    assert.equal(await got.Body!.transformToString(), "a,b");
    await rejects(
      s3.send(new PutObjectCommand({ Bucket: "group-data", Key: "x", Body: "x" })),
      "AccessDenied",
      403,
      /User: arn:aws:iam::000000000000:user\/dana is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::group-data\/x" because no identity-based policy allows the s3:PutObject action/,
    );
    await iam.send(new I.RemoveUserFromGroupCommand({ GroupName: "data-readers", UserName: "dana" }));
    await rejects(s3.send(new GetObjectCommand({ Bucket: "group-data", Key: "train.csv" })), "AccessDenied", 403);
    await iam.send(new I.AddUserToGroupCommand({ GroupName: "data-readers", UserName: "dana" }));
  });

  it("lets an explicit Deny in a group's inline policy win over the user's own Allow", async () => {
    await iam.send(new I.PutUserPolicyCommand({ UserName: "dana", PolicyName: "uploads", PolicyDocument: doc({ Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::group-data/*" }) }));
    const s3 = s3As(member);
    await s3.send(new PutObjectCommand({ Bucket: "group-data", Key: "uploads/ok.csv", Body: "1" }));
    await iam.send(new I.CreateGroupCommand({ GroupName: "no-writes" }));
    await iam.send(new I.PutGroupPolicyCommand({ GroupName: "no-writes", PolicyName: "deny-put", PolicyDocument: doc({ Effect: "Deny", Action: "s3:PutObject", Resource: "*" }) }));
    await iam.send(new I.AddUserToGroupCommand({ GroupName: "no-writes", UserName: "dana" }));
    await rejects(s3.send(new PutObjectCommand({ Bucket: "group-data", Key: "uploads/no.csv", Body: "1" })), "AccessDenied", 403, /s3:PutObject on resource: "arn:aws:s3:::group-data\/uploads\/no.csv" with an explicit deny in an identity-based policy/);
    // Reading is still allowed through the other group.
    await s3.send(new GetObjectCommand({ Bucket: "group-data", Key: "train.csv" }));
  });

  it("simulates a user with its groups' policies, and a group on its own", async () => {
    const simulated = await iam.send(
      new I.SimulatePrincipalPolicyCommand({
        PolicySourceArn: "arn:aws:iam::000000000000:user/dana",
        ActionNames: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        ResourceArns: ["arn:aws:s3:::group-data/train.csv"],
      }),
    );
    assert.deepEqual(
      simulated.EvaluationResults!.map((r) => [r.EvalActionName, r.EvalDecision, r.MatchedStatements!.map((m) => `${m.SourcePolicyType}:${m.SourcePolicyId}`)]),
      [
        ["s3:GetObject", "allowed", ["aws-managed:AmazonS3ReadOnlyAccess"]],
        ["s3:PutObject", "explicitDeny", ["group:group_no-writes_deny-put"]],
        ["s3:DeleteObject", "implicitDeny", []],
      ],
    );
    const group = await iam.send(
      new I.SimulatePrincipalPolicyCommand({ PolicySourceArn: "arn:aws:iam::000000000000:group/no-writes", ActionNames: ["s3:PutObject", "s3:GetObject"] }),
    );
    assert.deepEqual(group.EvaluationResults!.map((r) => r.EvalDecision), ["explicitDeny", "implicitDeny"]);
    await rejects(iam.send(new I.SimulatePrincipalPolicyCommand({ PolicySourceArn: "arn:aws:iam::000000000000:group/nope", ActionNames: ["s3:GetObject"] })), "NoSuchEntity", 404, "The group with name nope cannot be found.");
    const cli = await awsCli(stratus, ["iam", "simulate-principal-policy", "--policy-source-arn", "arn:aws:iam::000000000000:user/dana", "--action-names", "s3:ListBucket", "s3:PutObject"]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(cli.json().EvaluationResults.map((r: any) => r.EvalDecision), ["allowed", "explicitDeny"]);
  });

  it("keeps a renamed user's groups and keys", async () => {
    await iam.send(new I.UpdateUserCommand({ UserName: "dana", NewUserName: "dana2", NewPath: "/renamed/" }));
    assert.deepEqual((await iam.send(new I.ListGroupsForUserCommand({ UserName: "dana2" }))).Groups!.map((g) => g.GroupName), ["data-readers", "no-writes"]);
    const s3 = s3As(member);
    await s3.send(new GetObjectCommand({ Bucket: "group-data", Key: "train.csv" }));
    await rejects(s3.send(new PutObjectCommand({ Bucket: "group-data", Key: "uploads/no.csv", Body: "1" })), "AccessDenied", 403, /user\/renamed\/dana2 is not authorized to perform: s3:PutObject/);
  });
});

describe("IAM groups across a restart (storage: disk)", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "stratus-iam-groups-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps groups, their policies and memberships", async () => {
    const start = () => startStratus({ port: 0, storage: "disk", dataDir: dir, logLevel: "silent" });
    let groupId: string;
    const first = await start();
    try {
      const iam = new I.IAMClient(sdkConfig(first));
      groupId = (await iam.send(new I.CreateGroupCommand({ GroupName: "persisted", Path: "/p/" }))).Group!.GroupId!;
      await iam.send(new I.CreateUserCommand({ UserName: "stays" }));
      await iam.send(new I.AddUserToGroupCommand({ GroupName: "persisted", UserName: "stays" }));
      await iam.send(new I.AttachGroupPolicyCommand({ GroupName: "persisted", PolicyArn: S3_READ_ONLY }));
      await iam.send(new I.PutGroupPolicyCommand({ GroupName: "persisted", PolicyName: "inline", PolicyDocument: doc({ Effect: "Allow", Action: "ec2:Describe*", Resource: "*" }) }));
    } finally {
      await first.stop();
    }
    const second = await start();
    try {
      const iam = new I.IAMClient(sdkConfig(second));
      const group = await iam.send(new I.GetGroupCommand({ GroupName: "persisted" }));
      assert.equal(group.Group!.GroupId, groupId!);
      assert.equal(group.Group!.Arn, "arn:aws:iam::000000000000:group/p/persisted");
      assert.deepEqual(group.Users!.map((u) => u.UserName), ["stays"]);
      assert.deepEqual((await iam.send(new I.ListAttachedGroupPoliciesCommand({ GroupName: "persisted" }))).AttachedPolicies!.map((p) => p.PolicyName), ["AmazonS3ReadOnlyAccess"]);
      assert.deepEqual((await iam.send(new I.ListGroupPoliciesCommand({ GroupName: "persisted" }))).PolicyNames, ["inline"]);
      assert.equal((await iam.send(new I.GetAccountSummaryCommand({}))).SummaryMap!.Groups, 1);
    } finally {
      await second.stop();
    }
  });
});
