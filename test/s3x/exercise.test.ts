/**
 * The exercise's Part 3 as a user types it, command for command, through
 * /usr/bin/aws against one Stratus: 3.1 (bucket, encryption, versioning,
 * public access block), 3.3 (lifecycle: the CLI refuses "Id", as with AWS)
 * and 3.4 (cross-region replication: the object reaches the replica).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { S3Client, GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { fileURLToPath } from "node:url";
import { bash, sdkConfig, startTestStratus } from "../support/stratus.js";

/** bin/stratus.cjs from dist/test/s3x. */
const STRATUS_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../bin/stratus.cjs");

/** Splits the output of consecutive JSON-printing commands into documents. */
function jsonDocuments(text: string): any[] {
  const out: any[] = [];
  let depth = 0;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{") {
      if (depth === 0) start = i;
      depth++;
    } else if (c === "}") {
      depth--;
      if (depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return out;
}

const PART_3_1 = `# S3 bucket names must be globally unique
ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text)
BUCKET_NAME="ml-models-dev-\${ACCOUNT_ID}"

# Create bucket
aws s3 mb s3://$BUCKET_NAME --region us-east-1

# Verify bucket creation
aws s3 ls | grep ml-models

# Enable default encryption (AES-256)
aws s3api put-bucket-encryption \\
  --bucket $BUCKET_NAME \\
  --server-side-encryption-configuration '{
    "Rules": [{
      "ApplyServerSideEncryptionByDefault": {
        "SSEAlgorithm": "AES256"
      },
      "BucketKeyEnabled": true
    }]
  }'

# Verify encryption
aws s3api get-bucket-encryption --bucket $BUCKET_NAME

# Enable versioning (protects against accidental deletion)
aws s3api put-bucket-versioning \\
  --bucket $BUCKET_NAME \\
  --versioning-configuration Status=Enabled

# Verify versioning
aws s3api get-bucket-versioning --bucket $BUCKET_NAME
# Output: {"Status": "Enabled"}

# Block all public access (best practice for ML models)
aws s3api put-public-access-block \\
  --bucket $BUCKET_NAME \\
  --public-access-block-configuration \\
    BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true

# Verify
aws s3api get-public-access-block --bucket $BUCKET_NAME
`;

const PART_3_3 = `ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text)
BUCKET_NAME="ml-models-dev-\${ACCOUNT_ID}"
cat > s3-lifecycle-policy.json <<EOF
{
  "Rules": [
    {
      "Id": "archive-old-models",
      "Status": "Enabled",
      "Filter": {
        "Prefix": "models/"
      },
      "Transitions": [
        {
          "Days": 30,
          "StorageClass": "STANDARD_IA"
        },
        {
          "Days": 90,
          "StorageClass": "GLACIER_IR"
        }
      ],
      "NoncurrentVersionTransitions": [
        {
          "NoncurrentDays": 7,
          "StorageClass": "STANDARD_IA"
        },
        {
          "NoncurrentDays": 30,
          "StorageClass": "GLACIER_IR"
        }
      ],
      "NoncurrentVersionExpiration": {
        "NoncurrentDays": 180
      }
    },
    {
      "Id": "delete-old-logs",
      "Status": "Enabled",
      "Filter": {
        "Prefix": "logs/"
      },
      "Expiration": {
        "Days": 30
      }
    },
    {
      "Id": "cleanup-incomplete-uploads",
      "Status": "Enabled",
      "Filter": {},
      "AbortIncompleteMultipartUpload": {
        "DaysAfterInitiation": 7
      }
    }
  ]
}
EOF

# Apply lifecycle policy
aws s3api put-bucket-lifecycle-configuration \\
  --bucket $BUCKET_NAME \\
  --lifecycle-configuration file://s3-lifecycle-policy.json
`;

/**
 * The exercise's sleeps wait for AWS. On a virtual clock they become
 * `stratus clock advance`: the minute passes, and what was due in it has run.
 */
const SLEEP_ON_THE_VIRTUAL_CLOCK = `sleep() { node ${STRATUS_BIN} clock advance "\${1}s" >/dev/null; }
`;

const PART_3_4 = SLEEP_ON_THE_VIRTUAL_CLOCK + `ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text)
BUCKET_NAME="ml-models-dev-\${ACCOUNT_ID}"
# Create bucket in us-west-2
BUCKET_REPLICA="ml-models-replica-\${ACCOUNT_ID}"
aws s3 mb s3://$BUCKET_REPLICA --region us-west-2

# Enable versioning on destination bucket (required for CRR)
aws s3api put-bucket-versioning \\
  --bucket $BUCKET_REPLICA \\
  --versioning-configuration Status=Enabled \\
  --region us-west-2

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

cat > replication-config.json <<EOF
{
  "Role": "arn:aws:iam::\${ACCOUNT_ID}:role/s3-replication-role",
  "Rules": [
    {
      "Status": "Enabled",
      "Priority": 1,
      "DeleteMarkerReplication": {"Status": "Enabled"},
      "Filter": {"Prefix": "models/"},
      "Destination": {
        "Bucket": "arn:aws:s3:::\${BUCKET_REPLICA}",
        "ReplicationTime": {
          "Status": "Enabled",
          "Time": {"Minutes": 15}
        },
        "Metrics": {
          "Status": "Enabled",
          "EventThreshold": {"Minutes": 15}
        }
      }
    }
  ]
}
EOF

# Wait for role propagation
sleep 10

# Apply replication configuration
aws s3api put-bucket-replication \\
  --bucket $BUCKET_NAME \\
  --replication-configuration file://replication-config.json

# Verify replication
aws s3api get-bucket-replication --bucket $BUCKET_NAME

# Upload a new file
echo "test replication" > test-replication.txt
aws s3 cp test-replication.txt s3://$BUCKET_NAME/models/test-replication.txt

# Wait for replication (up to 15 minutes)
sleep 60

# Check if file exists in replica bucket
aws s3 ls s3://$BUCKET_REPLICA/models/ --region us-west-2
`;

describe("the exercise's Part 3 through the aws CLI", () => {
  let stratus: RunningStratus;
  let dir: string;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual" });
    dir = mkdtempSync(path.join(os.tmpdir(), "exercise-3-"));
  });
  after(async () => {
    await stratus.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("3.1: creates the bucket with encryption, versioning and public access block", async () => {
    const result = await bash(stratus, PART_3_1, { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /ml-models-dev-000000000000\n/);
    const [encryption, versioning, block] = jsonDocuments(result.stdout);
    assert.deepEqual(encryption, { ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: true }] } });
    assert.deepEqual(versioning, { Status: "Enabled" });
    assert.deepEqual(block, { PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } });
  });

  it("3.3: the lifecycle rules written with Id are refused by the CLI, as with AWS", async () => {
    const result = await bash(stratus, PART_3_3, { cwd: dir });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Parameter validation failed:\nUnknown parameter in LifecycleConfiguration\.Rules\[0\]: "Id", must be one of: /);
  });

  it("3.4: replicates a new model to the us-west-2 replica bucket, encrypted at rest there too", async () => {
    const before = stratus.clock.now().getTime();
    const result = await bash(stratus, PART_3_4, { cwd: dir, env: { STRATUS_ENDPOINT: stratus.endpoint } });
    assert.equal(result.code, 0, result.stderr);
    const [, replication] = jsonDocuments(result.stdout);
    assert.equal(replication.ReplicationConfiguration.Role, "arn:aws:iam::000000000000:role/s3-replication-role");
    assert.equal(replication.ReplicationConfiguration.Rules[0].Destination.Bucket, "arn:aws:s3:::ml-models-replica-000000000000");
    assert.match(result.stdout, /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\s+17 test-replication\.txt\n?$/);
    const west = new S3Client({ ...sdkConfig(stratus, "us-west-2"), forcePathStyle: true });
    const replica = await west.send(new GetObjectCommand({ Bucket: "ml-models-replica-000000000000", Key: "models/test-replication.txt" }));
    assert.equal(await replica.Body!.transformToString(), "test replication\n");
    assert.equal(replica.ReplicationStatus, "REPLICA");
    assert.equal(replica.ServerSideEncryption, "AES256");
    const east = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
    const source = await east.send(new HeadObjectCommand({ Bucket: "ml-models-dev-000000000000", Key: "models/test-replication.txt" }));
    assert.equal(source.ReplicationStatus, "COMPLETED");
    assert.equal(source.VersionId, replica.VersionId);
    // The script's two sleeps (10 s and 60 s) passed on the virtual clock.
    assert.ok(stratus.clock.now().getTime() - before >= 70_000);
  });
});
