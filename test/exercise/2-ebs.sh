# Part 2: EBS (Elastic Block Store) Volumes

# Task 2.1: Create EBS Volume
# Get instance availability zone
AZ=$(aws ec2 describe-instances --instance-ids $INSTANCE_ID_V2 \
  --query 'Reservations[0].Instances[0].Placement.AvailabilityZone' \
  --output text)

# Create 50GB gp3 volume for ML training data
VOLUME_ID=$(aws ec2 create-volume \
  --availability-zone $AZ \
  --size 50 \
  --volume-type gp3 \
  --iops 3000 \
  --throughput 125 \
  --tag-specifications 'ResourceType=volume,Tags=[
    {Key=Name,Value=ml-training-data},
    {Key=Project,Value=ml-infrastructure},
    {Key=Environment,Value=dev}
  ]' \
  --query 'VolumeId' \
  --output text)

echo "Created volume: $VOLUME_ID"

# Wait for volume to be available
aws ec2 wait volume-available --volume-ids $VOLUME_ID

# Attach Volume to Instance
# Attach volume
aws ec2 attach-volume \
  --volume-id $VOLUME_ID \
  --instance-id $INSTANCE_ID_V2 \
  --device /dev/sdf

# Wait for attachment
aws ec2 wait volume-in-use --volume-ids $VOLUME_ID

# Verify attachment
aws ec2 describe-volumes --volume-ids $VOLUME_ID \
  --query 'Volumes[0].Attachments[0].State'
# Output: "attached"

# Format and Mount Volume (on EC2 instance)
# STRATUS: instances do not run code yet: formatting and mounting the volume over
# SSH is skipped (the volume's bytes are real: see the EBS direct API in docs/ebs-dlm.md).
#~ # SSH to instance
#~ ssh -i ~/.ssh/ml-inference-key.pem ubuntu@$EIP_ADDRESS

#~ # Check if volume is attached
#~ lsblk
#~ # Output should show /dev/nvme1n1 or /dev/xvdf (unpartitioned)

#~ # Create filesystem
#~ sudo mkfs -t ext4 /dev/nvme1n1

#~ # Create mount point
#~ sudo mkdir -p /mnt/ml-data

#~ # Mount volume
#~ sudo mount /dev/nvme1n1 /mnt/ml-data

#~ # Verify mount
#~ df -h | grep ml-data

#~ # Set ownership
#~ sudo chown ubuntu:ubuntu /mnt/ml-data

#~ # Create test file
#~ echo "ML training data storage" > /mnt/ml-data/README.txt

#~ # Make mount persistent (add to /etc/fstab)
#~ DEVICE_UUID=$(sudo blkid /dev/nvme1n1 -s UUID -o value)
#~ echo "UUID=$DEVICE_UUID  /mnt/ml-data  ext4  defaults,nofail  0  2" | sudo tee -a /etc/fstab

#~ # Exit SSH
#~ exit

# Task 2.2: Create Snapshot
# Create snapshot
SNAPSHOT_ID=$(aws ec2 create-snapshot \
  --volume-id $VOLUME_ID \
  --description "Backup of ml-training-data volume" \
  --tag-specifications 'ResourceType=snapshot,Tags=[
    {Key=Name,Value=ml-training-data-backup-2025-10-23},
    {Key=Project,Value=ml-infrastructure}
  ]' \
  --query 'SnapshotId' \
  --output text)

echo "Created snapshot: $SNAPSHOT_ID"

# Wait for snapshot to complete (may take several minutes)
aws ec2 wait snapshot-completed --snapshot-ids $SNAPSHOT_ID

# Verify snapshot
aws ec2 describe-snapshots --snapshot-ids $SNAPSHOT_ID \
  --query 'Snapshots[0].{ID:SnapshotId,Progress:Progress,State:State}'

# Restore from Snapshot
# Create new volume from snapshot (in same or different AZ)
RESTORED_VOLUME_ID=$(aws ec2 create-volume \
  --snapshot-id $SNAPSHOT_ID \
  --availability-zone $AZ \
  --volume-type gp3 \
  --tag-specifications 'ResourceType=volume,Tags=[
    {Key=Name,Value=ml-training-data-restored}
  ]' \
  --query 'VolumeId' \
  --output text)

echo "Restored volume: $RESTORED_VOLUME_ID"

# Automated Snapshot Lifecycle
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
aws iam create-role \
  --role-name AWSDataLifecycleManagerDefaultRole \
  --assume-role-policy-document '{
    "Version": "2012-10-17",
    "Statement": [{
      "Effect": "Allow",
      "Principal": {"Service": "dlm.amazonaws.com"},
      "Action": "sts:AssumeRole"
    }]
  }'

aws iam attach-role-policy \
  --role-name AWSDataLifecycleManagerDefaultRole \
  --policy-arn arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole

# Wait for role propagation
sleep 10

# Create lifecycle policy
aws dlm create-lifecycle-policy --cli-input-json file://lifecycle-policy.json

