import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { DescribeSnapshotsCommand, DescribeVolumesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DLMClient, GetLifecyclePolicyCommand } from "@aws-sdk/client-dlm";
import type { RunningStratus } from "../../src/index.js";
import { bash, sdkConfig, startTestStratus } from "../support/stratus.js";

/**
 * The exercise's Parts 2.1 and 2.2 and the volume/snapshot part of its clean-up,
 * verbatim through /usr/bin/aws. Part 1 is reduced to what 2.1 needs: an
 * instance ($INSTANCE_ID_V2). The exercise's `sleep 10` (IAM propagation) is a
 * no-op here: Stratus has no delay to wait for. The clock is virtual and runs
 * 20 times faster than wall time, so the CLI's waiters (which poll every 15 s of
 * real time) see instances boot and terminate on their first poll; the
 * system-clock waiters are tested in cli-waiters.test.ts.
 */
export const PRELUDE = `
sleep() { :; }
AMI_ID=$(aws ec2 describe-images --owners 099720109477 \\
  --filters "Name=name,Values=ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*" \\
  --query 'Images | sort_by(@, &CreationDate) | [-1].ImageId' --output text)
INSTANCE_ID_V2=$(aws ec2 run-instances --image-id $AMI_ID --instance-type t2.micro \\
  --tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value=ml-inference-server-v2},{Key=Project,Value=ml-infrastructure}]' \\
  --query 'Instances[0].InstanceId' --output text)
aws ec2 wait instance-running --instance-ids $INSTANCE_ID_V2
`;

export const PART_2_1 = `
# Get instance availability zone
AZ=$(aws ec2 describe-instances --instance-ids $INSTANCE_ID_V2 \\
  --query 'Reservations[0].Instances[0].Placement.AvailabilityZone' \\
  --output text)

# Create 50GB gp3 volume for ML training data
VOLUME_ID=$(aws ec2 create-volume \\
  --availability-zone $AZ \\
  --size 50 \\
  --volume-type gp3 \\
  --iops 3000 \\
  --throughput 125 \\
  --tag-specifications 'ResourceType=volume,Tags=[
    {Key=Name,Value=ml-training-data},
    {Key=Project,Value=ml-infrastructure},
    {Key=Environment,Value=dev}
  ]' \\
  --query 'VolumeId' \\
  --output text)

echo "Created volume: $VOLUME_ID"

# Wait for volume to be available
aws ec2 wait volume-available --volume-ids $VOLUME_ID

# Attach volume
aws ec2 attach-volume \\
  --volume-id $VOLUME_ID \\
  --instance-id $INSTANCE_ID_V2 \\
  --device /dev/sdf

# Wait for attachment
aws ec2 wait volume-in-use --volume-ids $VOLUME_ID

# Verify attachment
aws ec2 describe-volumes --volume-ids $VOLUME_ID \\
  --query 'Volumes[0].Attachments[0].State'
# Output: "attached"
`;

export const PART_2_2 = `
# Create snapshot
SNAPSHOT_ID=$(aws ec2 create-snapshot \\
  --volume-id $VOLUME_ID \\
  --description "Backup of ml-training-data volume" \\
  --tag-specifications 'ResourceType=snapshot,Tags=[
    {Key=Name,Value=ml-training-data-backup-2025-10-23},
    {Key=Project,Value=ml-infrastructure}
  ]' \\
  --query 'SnapshotId' \\
  --output text)

echo "Created snapshot: $SNAPSHOT_ID"

# Wait for snapshot to complete (may take several minutes)
aws ec2 wait snapshot-completed --snapshot-ids $SNAPSHOT_ID

# Verify snapshot
aws ec2 describe-snapshots --snapshot-ids $SNAPSHOT_ID \\
  --query 'Snapshots[0].{ID:SnapshotId,Progress:Progress,State:State}'

# Create new volume from snapshot (in same or different AZ)
RESTORED_VOLUME_ID=$(aws ec2 create-volume \\
  --snapshot-id $SNAPSHOT_ID \\
  --availability-zone $AZ \\
  --volume-type gp3 \\
  --tag-specifications 'ResourceType=volume,Tags=[
    {Key=Name,Value=ml-training-data-restored}
  ]' \\
  --query 'VolumeId' \\
  --output text)

echo "Restored volume: $RESTORED_VOLUME_ID"

# Create lifecycle policy for automated snapshots
cat > lifecycle-policy.json <<EOF
{
  "ExecutionRoleArn": "arn:aws:iam::$(aws sts get-caller-identity --query Account --output text):role/AWSDataLifecycleManagerDefaultRole",
  "Description": "Daily snapshots of ML volumes",
  "State": "ENABLED",
  "PolicyDetails": {
    "PolicyType": "EBS_SNAPSHOT_MANAGEMENT",
    "ResourceTypes": ["VOLUME"],
    "TargetTags": [
      {
        "Key": "Project",
        "Value": "ml-infrastructure"
      }
    ],
    "Schedules": [
      {
        "Name": "Daily snapshots",
        "CopyTags": true,
        "CreateRule": {
          "Interval": 24,
          "IntervalUnit": "HOURS",
          "Times": ["03:00"]
        },
        "RetainRule": {
          "Count": 7
        }
      }
    ]
  }
}
EOF

# Create DLM role first
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

# Wait for role propagation
sleep 10

# Create lifecycle policy
aws dlm create-lifecycle-policy --cli-input-json file://lifecycle-policy.json
`;

export const CLEANUP = `
# Terminate EC2 instances
aws ec2 terminate-instances --instance-ids $INSTANCE_ID_V2 $SPOT_INSTANCE_ID

# Delete EBS volumes (wait for instances to terminate first)
aws ec2 wait instance-terminated --instance-ids $INSTANCE_ID_V2
aws ec2 delete-volume --volume-id $VOLUME_ID
aws ec2 delete-volume --volume-id $RESTORED_VOLUME_ID

# Delete EBS snapshots
aws ec2 delete-snapshot --snapshot-id $SNAPSHOT_ID
`;

describe("Exercise Part 2 (EBS) through /usr/bin/aws", () => {
  let stratus: RunningStratus;
  let dir: string;
  let ticking = true;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual", clockStart: "2025-10-23T10:00:00Z" });
    dir = mkdtempSync(path.join(os.tmpdir(), "exercise-ebs-"));
    // 2 s of virtual time every 100 ms of wall time, one step after the other.
    const tick = () => {
      if (ticking) void stratus.clock.advance("2s").then(() => setTimeout(tick, 100));
    };
    tick();
  });
  after(async () => {
    ticking = false;
    await stratus.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs 2.1, 2.2 and the clean-up verbatim", async () => {
    const script = `${PRELUDE}
${PART_2_1}
echo "== 2.2"
${PART_2_2}
echo "VOLUME_ID=$VOLUME_ID RESTORED_VOLUME_ID=$RESTORED_VOLUME_ID SNAPSHOT_ID=$SNAPSHOT_ID INSTANCE_ID_V2=$INSTANCE_ID_V2" > ids.txt
echo "== cleanup"
${CLEANUP}
echo "== done"
`;
    const result = await bash(stratus, script, { cwd: dir });
    assert.equal(result.code, 0, `${result.stderr}\n${result.stdout}`);
    const [part21, rest] = result.stdout.split("== 2.2");
    assert.match(part21, /Created volume: vol-[0-9a-f]{17}/);
    assert.match(part21, /"attached"/);
    const [part22, cleanup] = rest.split("== cleanup");
    assert.match(part22, /Created snapshot: snap-[0-9a-f]{17}/);
    const verify = JSON.parse(part22.slice(part22.indexOf("{"), part22.indexOf("}") + 1));
    assert.equal(verify.State, "completed");
    assert.equal(verify.Progress, "100%");
    assert.match(part22, /Restored volume: vol-[0-9a-f]{17}/);
    assert.match(part22, /"PolicyId": "policy-[0-9a-f]{17}"/);
    assert.match(cleanup, /== done/);

    // Everything the clean-up deleted is gone; the policy remains (the exercise keeps it).
    const ids = Object.fromEntries(readFileSync(path.join(dir, "ids.txt"), "utf8").trim().split(" ").map((pair) => pair.split("=")));
    const ec2 = new EC2Client(sdkConfig(stratus));
    for (const volumeId of [ids.VOLUME_ID, ids.RESTORED_VOLUME_ID]) {
      await assert.rejects(ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })), (e: any) => e.name === "InvalidVolume.NotFound");
    }
    await assert.rejects(ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [ids.SNAPSHOT_ID] })), (e: any) => e.name === "InvalidSnapshot.NotFound");
    const policyId = /"PolicyId": "(policy-[0-9a-f]{17})"/.exec(part22)![1];
    const policy = await new DLMClient(sdkConfig(stratus)).send(new GetLifecyclePolicyCommand({ PolicyId: policyId }));
    assert.equal(policy.Policy!.Description, "Daily snapshots of ML volumes");
    assert.equal(policy.Policy!.ExecutionRoleArn, "arn:aws:iam::000000000000:role/AWSDataLifecycleManagerDefaultRole");
  });
});
