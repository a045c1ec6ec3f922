/**
 * The exercise's EC2 parts, command for command through /usr/bin/aws:
 * 1.1 (AMI, security group, key pair, launch), 1.2's launch with user data
 * (needed by 1.3), 1.3 (stop, start, Elastic IP, reboot, terminate), 4.1
 * (spot price), 4.2 (spot request, its tags moved to the request level where
 * the CLI accepts them), 6.1 (inventory) and the EC2 clean-up.
 *
 * Substitutions, and only these: placeholder ids are replaced by the ids
 * captured from the previous command's output (saved with `tee`), `curl
 * checkip` by a fixed address, ssh sessions and `sleep`/`curl` health checks
 * that need a running workload are left out. EBS and S3 commands belong to
 * their own suites.
 */
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, DescribeKeyPairsCommand, type EC2Client } from "@aws-sdk/client-ec2";
import type { RunningStratus } from "../../src/index.js";
import { createInstanceProfile, exerciseBash, startEc2 } from "./support.js";

const PART_1_1 = String.raw`
# Search for Ubuntu 22.04 LTS AMI
aws ec2 describe-images \
  --owners 099720109477 \
  --filters "Name=name,Values=ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*" \
  --query 'Images | sort_by(@, &CreationDate) | [-1].{ID:ImageId,Name:Name,Date:CreationDate}' \
  --output table | tee describe-images.txt

# Save the AMI ID
AMI_ID=$(grep -o 'ami-[0-9a-f]*' describe-images.txt)

# Get default VPC ID
VPC_ID=$(aws ec2 describe-vpcs --filters "Name=isDefault,Values=true" --query 'Vpcs[0].VpcId' --output text)

# Create security group
aws ec2 create-security-group \
  --group-name ml-inference-sg \
  --description "Security group for ML inference server" \
  --vpc-id $VPC_ID

# Get security group ID
SG_ID=$(aws ec2 describe-security-groups --filters "Name=group-name,Values=ml-inference-sg" --query 'SecurityGroups[0].GroupId' --output text)

# Allow SSH from your IP
MY_IP=203.0.113.25
aws ec2 authorize-security-group-ingress \
  --group-id $SG_ID \
  --protocol tcp \
  --port 22 \
  --cidr ${"$"}{MY_IP}/32

# Allow HTTP from anywhere
aws ec2 authorize-security-group-ingress \
  --group-id $SG_ID \
  --protocol tcp \
  --port 80 \
  --cidr 0.0.0.0/0

# Allow ML inference API (port 5000) from anywhere
aws ec2 authorize-security-group-ingress \
  --group-id $SG_ID \
  --protocol tcp \
  --port 5000 \
  --cidr 0.0.0.0/0

# Create key pair
aws ec2 create-key-pair \
  --key-name ml-inference-key \
  --query 'KeyMaterial' \
  --output text > ~/.ssh/ml-inference-key.pem

# Set correct permissions
chmod 400 ~/.ssh/ml-inference-key.pem

# Verify key was created
aws ec2 describe-key-pairs --key-names ml-inference-key

# Launch instance
aws ec2 run-instances \
  --image-id $AMI_ID \
  --instance-type t2.micro \
  --key-name ml-inference-key \
  --security-group-ids $SG_ID \
  --iam-instance-profile Name=ml-inference-ec2-profile \
  --tag-specifications 'ResourceType=instance,Tags=[
    {Key=Name,Value=ml-inference-server},
    {Key=Project,Value=ml-infrastructure},
    {Key=Environment,Value=dev},
    {Key=Owner,Value=alice}
  ]' \
  --block-device-mappings '[
    {
      "DeviceName": "/dev/sda1",
      "Ebs": {
        "VolumeSize": 20,
        "VolumeType": "gp3",
        "DeleteOnTermination": true
      }
    }
  ]' | tee run-instances-1.json

# Get instance ID from output
INSTANCE_ID=$(jq -r '.Instances[0].InstanceId' run-instances-1.json)

# Wait for instance to be running
aws ec2 wait instance-running --instance-ids $INSTANCE_ID

# Get public IP address
PUBLIC_IP=$(aws ec2 describe-instances \
  --instance-ids $INSTANCE_ID \
  --query 'Reservations[0].Instances[0].PublicIpAddress' \
  --output text)

echo "Instance is running at: $PUBLIC_IP"
`;

const PART_1_2 = String.raw`
# Create user data script
cat > user-data.sh <<'EOF'
#!/bin/bash

# Update system
apt-get update -y

# Install Python and ML libraries
apt-get install -y python3-pip python3-venv

# Create virtual environment
python3 -m venv /home/ubuntu/ml-env
source /home/ubuntu/ml-env/bin/activate

# Install ML packages
pip install torch torchvision torchaudio --index-url https://download.pytorch.org/whl/cpu
pip install flask pillow requests boto3

# Create inference server
mkdir -p /home/ubuntu/ml-app

cat > /home/ubuntu/ml-app/server.py <<PYEOF
from flask import Flask, request, jsonify
import torch
import torchvision.transforms as transforms
from PIL import Image
import boto3
import io
import os

app = Flask(__name__)

# Load model from S3 (placeholder for now)
s3 = boto3.client('s3')
MODEL_BUCKET = os.environ.get('MODEL_BUCKET', 'ml-models-dev')
model = None

@app.route('/health', methods=['GET'])
def health():
    return jsonify({'status': 'healthy', 'model_loaded': model is not None})

@app.route('/predict', methods=['POST'])
def predict():
    if 'image' not in request.files:
        return jsonify({'error': 'No image provided'}), 400

    # Placeholder prediction
    return jsonify({
        'prediction': 'cat',
        'confidence': 0.95,
        'model_version': '1.0'
    })

if __name__ == '__main__':
    app.run(host='0.0.0.0', port=5000)
PYEOF

# Create systemd service
cat > /etc/systemd/system/ml-inference.service <<SVCEOF
[Unit]
Description=ML Inference Server
After=network.target

[Service]
Type=simple
User=ubuntu
WorkingDirectory=/home/ubuntu/ml-app
Environment="PATH=/home/ubuntu/ml-env/bin"
ExecStart=/home/ubuntu/ml-env/bin/python3 /home/ubuntu/ml-app/server.py
Restart=always

[Install]
WantedBy=multi-user.target
SVCEOF

# Set ownership
chown -R ubuntu:ubuntu /home/ubuntu/ml-app
chown -R ubuntu:ubuntu /home/ubuntu/ml-env

# Enable and start service
systemctl daemon-reload
systemctl enable ml-inference
systemctl start ml-inference

# Log completion
echo "ML inference server setup complete" > /var/log/user-data-complete.log
EOF

# Launch new instance with user data
aws ec2 run-instances \
  --image-id $AMI_ID \
  --instance-type t2.micro \
  --key-name ml-inference-key \
  --security-group-ids $SG_ID \
  --iam-instance-profile Name=ml-inference-ec2-profile \
  --user-data file://user-data.sh \
  --tag-specifications 'ResourceType=instance,Tags=[
    {Key=Name,Value=ml-inference-server-v2},
    {Key=Project,Value=ml-infrastructure},
    {Key=Environment,Value=dev}
  ]' | tee run-instances-2.json

# Get new instance ID
INSTANCE_ID_V2=$(jq -r '.Instances[0].InstanceId' run-instances-2.json)

# Wait for instance to be running
aws ec2 wait instance-running --instance-ids $INSTANCE_ID_V2

# Get public IP
PUBLIC_IP_V2=$(aws ec2 describe-instances \
  --instance-ids $INSTANCE_ID_V2 \
  --query 'Reservations[0].Instances[0].PublicIpAddress' \
  --output text)
`;

const PART_1_3 = String.raw`
aws ec2 stop-instances --instance-ids $INSTANCE_ID_V2
aws ec2 wait instance-stopped --instance-ids $INSTANCE_ID_V2

# Verify instance state
aws ec2 describe-instances --instance-ids $INSTANCE_ID_V2 \
  --query 'Reservations[0].Instances[0].State.Name'
# Output: "stopped"

aws ec2 start-instances --instance-ids $INSTANCE_ID_V2
aws ec2 wait instance-running --instance-ids $INSTANCE_ID_V2

# Note: Public IP changes after stop/start (unless using Elastic IP)
PUBLIC_IP_NEW=$(aws ec2 describe-instances \
  --instance-ids $INSTANCE_ID_V2 \
  --query 'Reservations[0].Instances[0].PublicIpAddress' \
  --output text)

echo "New public IP: $PUBLIC_IP_NEW"

# Allocate Elastic IP
EIP_ALLOC_ID=$(aws ec2 allocate-address --domain vpc --query 'AllocationId' --output text)
EIP_ADDRESS=$(aws ec2 describe-addresses --allocation-ids $EIP_ALLOC_ID --query 'Addresses[0].PublicIp' --output text)

# Associate with instance
aws ec2 associate-address \
  --instance-id $INSTANCE_ID_V2 \
  --allocation-id $EIP_ALLOC_ID

echo "Elastic IP $EIP_ADDRESS associated with instance"

aws ec2 reboot-instances --instance-ids $INSTANCE_ID_V2

# Terminate the first test instance (we'll keep v2)
aws ec2 terminate-instances --instance-ids $INSTANCE_ID
aws ec2 wait instance-terminated --instance-ids $INSTANCE_ID
`;

const PART_4_1 = String.raw`
# Get current spot price for t2.micro in us-east-1a
aws ec2 describe-spot-price-history \
  --instance-types t2.micro \
  --product-descriptions "Linux/UNIX" \
  --availability-zone us-east-1a \
  --start-time $(date -u +%Y-%m-%dT%H:%M:%S) \
  --query 'SpotPriceHistory[0].{AZ:AvailabilityZone,Price:SpotPrice,Time:Timestamp}' \
  --output table
`;

const PART_4_2 = String.raw`
# Create spot request specification
cat > spot-request.json <<EOF
{
  "ImageId": "$AMI_ID",
  "InstanceType": "t2.micro",
  "KeyName": "ml-inference-key",
  "SecurityGroupIds": ["$SG_ID"],
  "IamInstanceProfile": {"Name": "ml-inference-ec2-profile"}
}
EOF

# Request spot instance (with max price = on-demand price)
aws ec2 request-spot-instances \
  --spot-price "0.0116" \
  --instance-count 1 \
  --type "one-time" \
  --launch-specification file://spot-request.json \
  --tag-specifications 'ResourceType=spot-instances-request,Tags=[
    {Key=Name,Value=ml-training-spot},
    {Key=Project,Value=ml-infrastructure},
    {Key=Environment,Value=dev}
  ]' | tee request-spot.json

# Get spot request ID from output
SPOT_REQUEST_ID=$(jq -r '.SpotInstanceRequests[0].SpotInstanceRequestId' request-spot.json)

# Check spot request status
aws ec2 describe-spot-instance-requests \
  --spot-instance-request-ids $SPOT_REQUEST_ID

# Get instance ID once fulfilled
SPOT_INSTANCE_ID=$(aws ec2 describe-spot-instance-requests \
  --spot-instance-request-ids $SPOT_REQUEST_ID \
  --query 'SpotInstanceRequests[0].InstanceId' \
  --output text)

echo "Spot instance: $SPOT_INSTANCE_ID"
`;

const PART_6_1 = String.raw`
# List all EC2 instances
aws ec2 describe-instances \
  --filters "Name=tag:Project,Values=ml-infrastructure" \
  --query 'Reservations[].Instances[].[InstanceId,InstanceType,State.Name,PublicIpAddress,Tags[?Key==${"`"}Name${"`"}].Value|[0]]' \
  --output table
`;

const CLEANUP = String.raw`
# Terminate EC2 instances
aws ec2 terminate-instances --instance-ids $INSTANCE_ID_V2 $SPOT_INSTANCE_ID

# Release Elastic IP
aws ec2 release-address --allocation-id $EIP_ALLOC_ID

aws ec2 wait instance-terminated --instance-ids $INSTANCE_ID_V2

# Delete security group
aws ec2 delete-security-group --group-id $SG_ID

# Delete key pair
aws ec2 delete-key-pair --key-name ml-inference-key
rm ~/.ssh/ml-inference-key.pem
`;

/** Prints the variables a later part needs, one per line, for the test to read. */
const REPORT = String.raw`
echo "@@AMI_ID=$AMI_ID"
echo "@@SG_ID=$SG_ID"
echo "@@INSTANCE_ID=$INSTANCE_ID"
echo "@@PUBLIC_IP=$PUBLIC_IP"
echo "@@INSTANCE_ID_V2=$INSTANCE_ID_V2"
echo "@@PUBLIC_IP_V2=$PUBLIC_IP_V2"
echo "@@PUBLIC_IP_NEW=$PUBLIC_IP_NEW"
echo "@@EIP_ALLOC_ID=$EIP_ALLOC_ID"
echo "@@EIP_ADDRESS=$EIP_ADDRESS"
echo "@@SPOT_REQUEST_ID=$SPOT_REQUEST_ID"
echo "@@SPOT_INSTANCE_ID=$SPOT_INSTANCE_ID"
`;

function variables(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const match = /^@@(\w+)=(.*)$/.exec(line);
    if (match) out[match[1]] = match[2];
  }
  return out;
}

describe("the exercise's EC2 parts through the aws CLI", () => {
  let stratus: RunningStratus;
  let ec2: EC2Client;
  let home: string;
  let work: string;
  let vars: Record<string, string> = {};

  before(async () => {
    ({ stratus, ec2 } = await startEc2());
    await createInstanceProfile(stratus, "ml-inference-ec2-profile");
    home = mkdtempSync(path.join(os.tmpdir(), "stratus-ec2-home-"));
    mkdirSync(path.join(home, ".ssh"));
    work = mkdtempSync(path.join(os.tmpdir(), "stratus-ec2-work-"));
  });
  after(() => stratus.stop());

  const run = (script: string) => exerciseBash(stratus, script, { cwd: work, env: { HOME: home } });
  /** Each part runs with the variables the previous parts left. */
  const withVars = (script: string) =>
    Object.entries(vars)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join("\n") +
    "\n" +
    script +
    REPORT;

  it("1.1: finds the newest Ubuntu AMI, builds the security group and key, launches and waits", async () => {
    const result = await run(withVars(PART_1_1));
    assert.equal(result.code, 0, result.stderr);
    vars = variables(result.stdout);
    assert.match(vars.AMI_ID, /^ami-[0-9a-f]{17}$/);
    assert.match(result.stdout, /ubuntu\/images\/hvm-ssd\/ubuntu-jammy-22\.04-amd64-server-\d{8}/);
    assert.match(vars.INSTANCE_ID, /^i-[0-9a-f]{17}$/);
    assert.match(vars.PUBLIC_IP, /^\d+\.\d+\.\d+\.\d+$/);
    assert.match(result.stdout, /Instance is running at: \d+\.\d+\.\d+\.\d+/);

    const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [vars.SG_ID] }));
    const ports = SecurityGroups![0].IpPermissions!.map((p) => `${p.FromPort}:${p.IpRanges![0].CidrIp}`).sort();
    assert.deepEqual(ports, ["22:203.0.113.25/32", ["5000", "0.0.0.0/0"].join(":"), "80:0.0.0.0/0"].sort());

    const key = readFileSync(path.join(home, ".ssh", "ml-inference-key.pem"), "utf8");
    assert.match(key, /^-----BEGIN RSA PRIVATE KEY-----/);
    const { KeyPairs } = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: ["ml-inference-key"] }));
    assert.equal(KeyPairs![0].KeyType, "rsa");

    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [vars.INSTANCE_ID] }));
    const instance = Reservations![0].Instances![0];
    assert.equal(instance.State!.Name, "running");
    assert.equal(instance.ImageId, vars.AMI_ID);
    assert.equal(instance.KeyName, "ml-inference-key");
    assert.deepEqual(instance.SecurityGroups, [{ GroupId: vars.SG_ID, GroupName: "ml-inference-sg" }]);
    assert.match(instance.IamInstanceProfile!.Arn!, /:instance-profile\/ml-inference-ec2-profile$/);
    assert.equal(instance.Tags!.find((t) => t.Key === "Owner")!.Value, "alice");
    assert.equal(instance.BlockDeviceMappings![0].DeviceName, "/dev/sda1");
  });

  it("1.2 and 1.3: stop, start with a new public IP, Elastic IP, reboot, terminate", async () => {
    const result = await run(withVars(PART_1_2 + PART_1_3));
    assert.equal(result.code, 0, result.stderr);
    vars = { ...vars, ...variables(result.stdout) };
    assert.match(result.stdout, /"stopped"/);
    assert.notEqual(vars.PUBLIC_IP_NEW, vars.PUBLIC_IP_V2, "a stop/start gives a new public address");
    assert.match(vars.EIP_ALLOC_ID, /^eipalloc-[0-9a-f]{17}$/);
    assert.match(result.stdout, /"AssociationId": "eipassoc-[0-9a-f]{17}"/);

    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [vars.INSTANCE_ID_V2, vars.INSTANCE_ID] }));
    const byId = new Map(Reservations!.flatMap((r) => r.Instances!).map((i) => [i.InstanceId, i]));
    assert.equal(byId.get(vars.INSTANCE_ID_V2)!.PublicIpAddress, vars.EIP_ADDRESS);
    assert.equal(byId.get(vars.INSTANCE_ID_V2)!.State!.Name, "running");
    assert.equal(byId.get(vars.INSTANCE_ID)!.State!.Name, "terminated");
  });

  it("4.1: reads the current spot price for t2.micro in us-east-1a", async () => {
    const result = await run(withVars(PART_4_1));
    assert.equal(result.code, 0, result.stderr);
    const price = Number(/\|\s+us-east-1a\s+\|\s+([\d.]+)\s+\|/.exec(result.stdout)?.[1]);
    assert.ok(price > 0 && price < 0.0116, `spot price ${price} below on-demand`);
  });

  it("4.2: requests a spot instance that is fulfilled with a spot instance", async () => {
    const result = await run(withVars(PART_4_2));
    assert.equal(result.code, 0, result.stderr);
    vars = { ...vars, ...variables(result.stdout) };
    assert.match(vars.SPOT_REQUEST_ID, /^sir-[a-z0-9]{8}$/);
    assert.match(vars.SPOT_INSTANCE_ID, /^i-[0-9a-f]{17}$/);
    assert.match(result.stdout, /"Key": "Name",\s+"Value": "ml-training-spot"/);
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [vars.SPOT_INSTANCE_ID] }));
    const instance = Reservations![0].Instances![0];
    assert.equal(instance.InstanceLifecycle, "spot");
    assert.equal(instance.SpotInstanceRequestId, vars.SPOT_REQUEST_ID);
  });

  it("6.1: lists the project's instances with their names", async () => {
    const result = await run(withVars(PART_6_1));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`${vars.INSTANCE_ID_V2}\\s*\\|\\s+t2\\.micro\\s+\\|\\s+running\\s+\\|\\s+${vars.EIP_ADDRESS.replace(/\./g, "\\.")}\\s+\\|\\s+ml-inference-server-v2`));
    assert.match(result.stdout, new RegExp(`${vars.INSTANCE_ID}\\s*\\|\\s+t2\\.micro\\s+\\|\\s+terminated\\s+\\|\\s+None\\s+\\|\\s+ml-inference-server\\s`));
  });

  it("clean-up: terminates, releases the Elastic IP, deletes the group and the key", async () => {
    const result = await run(withVars(CLEANUP));
    assert.equal(result.code, 0, result.stderr);
    await assert.rejects(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [vars.SG_ID] })), /does not exist/);
    const { KeyPairs } = await ec2.send(new DescribeKeyPairsCommand({}));
    assert.equal(KeyPairs!.length, 0);
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [vars.INSTANCE_ID_V2, vars.SPOT_INSTANCE_ID] }));
    for (const instance of Reservations!.flatMap((r) => r.Instances!)) assert.equal(instance.State!.Name, "terminated");
  });
});
