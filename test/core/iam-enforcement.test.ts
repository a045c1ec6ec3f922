/**
 * IAM identity policies, enforced for IAM users and role sessions with SDK v3
 * and /usr/bin/aws: no policy, no access (each service's own error), AWS
 * managed and inline policies, resource ARNs and conditions, explicit Deny,
 * permissions boundaries, role sessions, and a bucket policy that lets a
 * same-account user in on its own. The account root is never restricted.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CloudWatchClient, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeInstancesCommand, DescribeVolumesCommand, EC2Client, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteUserPermissionsBoundaryCommand,
  IAMClient,
  ListUsersCommand,
  PutRolePolicyCommand,
  PutUserPermissionsBoundaryCommand,
  PutUserPolicyCommand,
  SimulateCustomPolicyCommand,
  SimulatePrincipalPolicyCommand,
} from "@aws-sdk/client-iam";
import { KMSClient, ListKeysCommand } from "@aws-sdk/client-kms";
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutBucketPolicyCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

async function rejectsWith(promise: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: any) => {
    assert.equal(error.name, name, `${error.name}: ${error.message}`);
    if (message) assert.match(error.message, message);
    return true;
  });
}

const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

describe("IAM identity policies", () => {
  let stratus: RunningStratus;
  let iam: IAMClient;
  let rootS3: S3Client;
  const config = (credentials: Credentials, region = "us-east-1") => ({ ...sdkConfig(stratus, region), credentials });
  const s3As = (credentials: Credentials) => new S3Client({ ...config(credentials), forcePathStyle: true });

  async function user(name: string): Promise<Credentials> {
    await iam.send(new CreateUserCommand({ UserName: name }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
    return { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
  }

  before(async () => {
    stratus = await startTestStratus();
    iam = new IAMClient(sdkConfig(stratus));
    rootS3 = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
    await rootS3.send(new CreateBucketCommand({ Bucket: "enforced-models" }));
    await rootS3.send(new PutObjectCommand({ Bucket: "enforced-models", Key: "model.bin", Body: "weights" }));
  });
  after(() => stratus.stop());

  it("refuses a user without policies in every service's own words, except STS", async () => {
    const alice = await user("alice");
    await rejectsWith(
      s3As(alice).send(new ListBucketsCommand({})),
      "AccessDenied",
      /User: arn:aws:iam::000000000000:user\/alice is not authorized to perform: s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action/,
    );
    await rejectsWith(s3As(alice).send(new GetObjectCommand({ Bucket: "enforced-models", Key: "model.bin" })), "AccessDenied", /s3:GetObject on resource: "arn:aws:s3:::enforced-models\/model.bin"/);
    await rejectsWith(new EC2Client(config(alice)).send(new DescribeInstancesCommand({})), "UnauthorizedOperation", /You are not authorized to perform this operation\. User: .*user\/alice is not authorized to perform: ec2:DescribeInstances/);
    await rejectsWith(new CloudWatchClient(config(alice)).send(new ListMetricsCommand({})), "AccessDenied", /cloudwatch:ListMetrics/);
    await rejectsWith(new KMSClient(config(alice)).send(new ListKeysCommand({})), "AccessDeniedException", /kms:ListKeys/);
    await rejectsWith(new IAMClient(config(alice)).send(new ListUsersCommand({})), "AccessDenied", /iam:ListUsers/);
    const me = await new STSClient(config(alice)).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, "arn:aws:iam::000000000000:user/alice");
    // The root is not restricted.
    await new EC2Client(sdkConfig(stratus)).send(new DescribeInstancesCommand({}));
  });

  it("lets AmazonS3ReadOnlyAccess read and not write", async () => {
    const bob = await user("bob");
    await iam.send(new AttachUserPolicyCommand({ UserName: "bob", PolicyArn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" }));
    const s3 = s3As(bob);
    const got = await s3.send(new GetObjectCommand({ Bucket: "enforced-models", Key: "model.bin" }));
    assert.equal(await got.Body!.transformToString(), "weights");
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: "enforced-models" }));
    assert.deepEqual(listed.Contents!.map((o) => o.Key), ["model.bin"]);
    await rejectsWith(s3.send(new PutObjectCommand({ Bucket: "enforced-models", Key: "x", Body: "x" })), "AccessDenied", /s3:PutObject on resource: "arn:aws:s3:::enforced-models\/x" because no identity-based policy allows/);
    await rejectsWith(s3.send(new CreateBucketCommand({ Bucket: "bobs-bucket" })), "AccessDenied", /s3:CreateBucket/);
  });

  it("matches an inline policy's resource ARNs and conditions, and an explicit Deny wins", async () => {
    const carol = await user("carol");
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "carol",
        PolicyName: "uploads",
        PolicyDocument: doc(
          { Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::enforced-models/uploads/*" },
          { Effect: "Allow", Action: "ec2:*", Resource: "*", Condition: { StringEquals: { "aws:RequestedRegion": "eu-west-1" } } },
          { Effect: "Deny", Action: "ec2:TerminateInstances", Resource: "*" },
        ),
      }),
    );
    const s3 = s3As(carol);
    await s3.send(new PutObjectCommand({ Bucket: "enforced-models", Key: "uploads/data.csv", Body: "a,b" }));
    await rejectsWith(s3.send(new PutObjectCommand({ Bucket: "enforced-models", Key: "model.bin", Body: "overwrite" })), "AccessDenied");
    await new EC2Client(config(carol, "eu-west-1")).send(new DescribeVolumesCommand({}));
    await rejectsWith(new EC2Client(config(carol, "us-east-1")).send(new DescribeVolumesCommand({})), "UnauthorizedOperation", /no identity-based policy allows the ec2:DescribeVolumes action/);
    await rejectsWith(
      new EC2Client(config(carol, "eu-west-1")).send(new TerminateInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"] })),
      "UnauthorizedOperation",
      /ec2:TerminateInstances with an explicit deny in an identity-based policy/,
    );
  });

  it("caps a user's policies with a permissions boundary", async () => {
    const dave = await user("dave");
    await iam.send(new AttachUserPolicyCommand({ UserName: "dave", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
    await new EC2Client(config(dave)).send(new DescribeInstancesCommand({}));
    await iam.send(new PutUserPermissionsBoundaryCommand({ UserName: "dave", PermissionsBoundary: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" }));
    await s3As(dave).send(new ListBucketsCommand({}));
    await rejectsWith(new EC2Client(config(dave)).send(new DescribeInstancesCommand({})), "UnauthorizedOperation");
    await iam.send(new DeleteUserPermissionsBoundaryCommand({ UserName: "dave" }));
    await new EC2Client(config(dave)).send(new DescribeInstancesCommand({}));
  });

  it("gives a role's sessions the role's policies", async () => {
    await iam.send(
      new CreateRoleCommand({ RoleName: "model-reader", AssumeRolePolicyDocument: doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::000000000000:root" }, Action: "sts:AssumeRole" }) }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "model-reader",
        PolicyName: "read-models",
        PolicyDocument: doc({ Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::enforced-models/*" }),
      }),
    );
    const { Credentials } = await new STSClient(sdkConfig(stratus)).send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::000000000000:role/model-reader", RoleSessionName: "job" }));
    const session = { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey!, sessionToken: Credentials!.SessionToken! };
    const got = await s3As(session).send(new GetObjectCommand({ Bucket: "enforced-models", Key: "model.bin" }));
    assert.equal(await got.Body!.transformToString(), "weights");
    await rejectsWith(s3As(session).send(new ListBucketsCommand({})), "AccessDenied", /assumed-role\/model-reader\/job is not authorized to perform: s3:ListAllMyBuckets/);
  });

  it("lets a same-account user in through the bucket policy alone", async () => {
    const erin = await user("erin");
    await rejectsWith(s3As(erin).send(new GetObjectCommand({ Bucket: "enforced-models", Key: "model.bin" })), "AccessDenied");
    await rootS3.send(
      new PutBucketPolicyCommand({
        Bucket: "enforced-models",
        Policy: doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::000000000000:user/erin" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::enforced-models/*" }),
      }),
    );
    const got = await s3As(erin).send(new GetObjectCommand({ Bucket: "enforced-models", Key: "model.bin" }));
    assert.equal(await got.Body!.transformToString(), "weights");
  });

  it("simulates principals' and custom policies with the engine that enforces them", async () => {
    const bob = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: "arn:aws:iam::000000000000:user/bob",
        ActionNames: ["s3:GetObject", "s3:PutObject"],
        ResourceArns: ["arn:aws:s3:::enforced-models/model.bin"],
      }),
    );
    assert.deepEqual(
      bob.EvaluationResults!.map((r) => [r.EvalActionName, r.EvalResourceName, r.EvalDecision, r.MatchedStatements!.map((m) => `${m.SourcePolicyType}:${m.SourcePolicyId}`)]),
      [
        ["s3:GetObject", "arn:aws:s3:::enforced-models/model.bin", "allowed", ["aws-managed:AmazonS3ReadOnlyAccess"]],
        ["s3:PutObject", "arn:aws:s3:::enforced-models/model.bin", "implicitDeny", []],
      ],
    );
    const carol = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: "arn:aws:iam::000000000000:user/carol",
        ActionNames: ["ec2:TerminateInstances", "ec2:DescribeVolumes"],
        ContextEntries: [{ ContextKeyName: "aws:RequestedRegion", ContextKeyType: "string", ContextKeyValues: ["eu-west-1"] }],
      }),
    );
    assert.deepEqual(carol.EvaluationResults!.map((r) => r.EvalDecision), ["explicitDeny", "allowed"]);
    assert.deepEqual(carol.EvaluationResults![0].MatchedStatements, [{ SourcePolicyId: "uploads", SourcePolicyType: "user" }]);
    const custom = await iam.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [doc({ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::data/*" })],
        ActionNames: ["s3:GetObject"],
        ResourceArns: ["arn:aws:s3:::data/x", "arn:aws:s3:::other/x"],
      }),
    );
    assert.deepEqual(custom.EvaluationResults!.map((r) => r.EvalDecision), ["allowed", "implicitDeny"]);
    assert.equal(custom.EvaluationResults![0].MatchedStatements![0].SourcePolicyId, "PolicyInputList.1");
    await rejectsWith(iam.send(new SimulateCustomPolicyCommand({ PolicyInputList: ["{not json"], ActionNames: ["s3:GetObject"] })), "MalformedPolicyDocumentException");
    await rejectsWith(iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: "arn:aws:iam::000000000000:user/nobody", ActionNames: ["s3:GetObject"] })), "NoSuchEntityException");
    const cli = await awsCli(stratus, ["iam", "simulate-principal-policy", "--policy-source-arn", "arn:aws:iam::000000000000:user/bob", "--action-names", "s3:ListBucket", "ec2:RunInstances"]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(JSON.parse(cli.stdout).EvaluationResults.map((r: any) => r.EvalDecision), ["allowed", "implicitDeny"]);
  });

  it("refuses the aws CLI the same way until a policy is attached", async () => {
    const frank = await user("frank");
    const env = { AWS_ACCESS_KEY_ID: frank.accessKeyId, AWS_SECRET_ACCESS_KEY: frank.secretAccessKey };
    const denied = await awsCli(stratus, ["ec2", "describe-instances"], { env });
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /UnauthorizedOperation/);
    await iam.send(new AttachUserPolicyCommand({ UserName: "frank", PolicyArn: "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess" }));
    const allowed = await awsCli(stratus, ["ec2", "describe-instances"], { env });
    assert.equal(allowed.code, 0, allowed.stderr);
  });
});
