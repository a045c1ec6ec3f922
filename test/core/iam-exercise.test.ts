/**
 * The exercise's IAM commands, verbatim, through Debian's aws CLI v2: the DLM
 * role with its AWS managed policy, the S3 replication role with its inline
 * policy from file://, and the instance profile the EC2 launches name.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { GetInstanceProfileCommand, GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand } from "@aws-sdk/client-iam";
import type { RunningStratus } from "../../src/index.js";
import { bash, sdkConfig, startTestStratus } from "../support/stratus.js";

describe("IAM: the exercise's commands through the aws CLI", () => {
  let stratus: RunningStratus;
  let dir: string;
  before(async () => {
    stratus = await startTestStratus();
    dir = mkdtempSync(path.join(os.tmpdir(), "stratus-iam-"));
  });
  after(async () => {
    await stratus.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates the DLM role and attaches the AWS managed service-role policy", async () => {
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
  }'

aws iam attach-role-policy \\
  --role-name AWSDataLifecycleManagerDefaultRole \\
  --policy-arn arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole

echo "ROLE_ARN=arn:aws:iam::$(aws sts get-caller-identity --query Account --output text):role/AWSDataLifecycleManagerDefaultRole"
aws iam get-role --role-name AWSDataLifecycleManagerDefaultRole --query 'Role.AssumeRolePolicyDocument.Statement[0].Principal.Service' --output text
`,
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /"RoleName": "AWSDataLifecycleManagerDefaultRole"/);
    assert.match(result.stdout, /ROLE_ARN=arn:aws:iam::000000000000:role\/AWSDataLifecycleManagerDefaultRole/);
    assert.match(result.stdout, /^dlm\.amazonaws\.com$/m);

    const iam = new IAMClient(sdkConfig(stratus));
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "AWSDataLifecycleManagerDefaultRole" }));
    assert.deepEqual(attached.AttachedPolicies, [
      { PolicyName: "AWSDataLifecycleManagerServiceRole", PolicyArn: "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole" },
    ]);
  });

  it("creates the S3 replication role and its inline policy from file://", async () => {
    const result = await bash(
      stratus,
      `
ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text)
BUCKET_NAME="ml-models-dev-\${ACCOUNT_ID}"
BUCKET_REPLICA="ml-models-replica-\${ACCOUNT_ID}"
cat > replication-role-trust-policy.json <<EOF
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Service": "s3.amazonaws.com"},
    "Action": "sts:AssumeRole"
  }]
}
EOF

aws iam create-role \\
  --role-name s3-replication-role \\
  --assume-role-policy-document file://replication-role-trust-policy.json

# Create replication policy
cat > replication-role-policy.json <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "s3:GetReplicationConfiguration",
        "s3:ListBucket"
      ],
      "Resource": "arn:aws:s3:::\${BUCKET_NAME}"
    },
    {
      "Effect": "Allow",
      "Action": [
        "s3:GetObjectVersionForReplication",
        "s3:GetObjectVersionAcl"
      ],
      "Resource": "arn:aws:s3:::\${BUCKET_NAME}/*"
    },
    {
      "Effect": "Allow",
      "Action": [
        "s3:ReplicateObject",
        "s3:ReplicateDelete"
      ],
      "Resource": "arn:aws:s3:::\${BUCKET_REPLICA}/*"
    }
  ]
}
EOF

aws iam put-role-policy \\
  --role-name s3-replication-role \\
  --policy-name s3-replication-policy \\
  --policy-document file://replication-role-policy.json

aws iam list-role-policies --role-name s3-replication-role --query 'PolicyNames[0]' --output text
aws iam get-role-policy --role-name s3-replication-role --policy-name s3-replication-policy --query 'PolicyDocument.Statement[2].Resource' --output text
`,
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /"Arn": "arn:aws:iam::000000000000:role\/s3-replication-role"/);
    assert.match(result.stdout, /^s3-replication-policy$/m);
    assert.match(result.stdout, /^arn:aws:s3:::ml-models-replica-000000000000\/\*$/m);

    // The SDK sees the document URL-encoded, exactly as it was sent.
    const iam = new IAMClient(sdkConfig(stratus));
    const policy = await iam.send(new GetRolePolicyCommand({ RoleName: "s3-replication-role", PolicyName: "s3-replication-policy" }));
    const document = decodeURIComponent(policy.PolicyDocument!);
    assert.match(policy.PolicyDocument!, /^%7B%0A/);
    assert.equal(JSON.parse(document).Statement[0].Resource, "arn:aws:s3:::ml-models-dev-000000000000");
  });

  it("creates the instance profile the instances launch with, holding the EC2 role", async () => {
    const result = await bash(
      stratus,
      `
aws iam create-role --role-name ml-inference-ec2-role --assume-role-policy-document '{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
}' > /dev/null
aws iam attach-role-policy --role-name ml-inference-ec2-role --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess
aws iam attach-role-policy --role-name ml-inference-ec2-role --policy-arn arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy
aws iam create-instance-profile --instance-profile-name ml-inference-ec2-profile
aws iam add-role-to-instance-profile --instance-profile-name ml-inference-ec2-profile --role-name ml-inference-ec2-role
aws iam get-instance-profile --instance-profile-name ml-inference-ec2-profile --query 'InstanceProfile.Roles[0].RoleName' --output text
aws iam list-instance-profiles-for-role --role-name ml-inference-ec2-role --query 'InstanceProfiles[0].Arn' --output text
`,
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /"InstanceProfileName": "ml-inference-ec2-profile"/);
    assert.match(result.stdout, /"InstanceProfileId": "AIPA[A-Z2-7]{17}"/);
    assert.match(result.stdout, /^ml-inference-ec2-role$/m);
    assert.match(result.stdout, /^arn:aws:iam::000000000000:instance-profile\/ml-inference-ec2-profile$/m);

    const iam = new IAMClient(sdkConfig(stratus));
    const { InstanceProfile } = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: "ml-inference-ec2-profile" }));
    assert.equal(InstanceProfile!.Roles!.length, 1);
    assert.equal(InstanceProfile!.Roles![0].Arn, "arn:aws:iam::000000000000:role/ml-inference-ec2-role");
  });

  it("answers the CLI with IAM's errors", async () => {
    const result = await bash(
      stratus,
      `
aws iam add-role-to-instance-profile --instance-profile-name ml-inference-ec2-profile --role-name s3-replication-role || true
aws iam delete-role --role-name ml-inference-ec2-role || true
aws iam get-role --role-name no-such-role || true
aws iam create-role --role-name s3-replication-role --assume-role-policy-document file://replication-role-trust-policy.json || true
`,
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /\(LimitExceeded\) when calling the AddRoleToInstanceProfile operation(?: \(reached max retries: \d+\))?: Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1/);
    assert.match(result.stderr, /\(DeleteConflict\) when calling the DeleteRole operation(?: \(reached max retries: \d+\))?: Cannot delete entity, must remove roles from instance profile first\./);
    assert.match(result.stderr, /\(NoSuchEntity\) when calling the GetRole operation(?: \(reached max retries: \d+\))?: The role with name no-such-role cannot be found\./);
    assert.match(result.stderr, /\(EntityAlreadyExists\) when calling the CreateRole operation(?: \(reached max retries: \d+\))?: Role with name s3-replication-role already exists\./);
  });
});
