# Part 1: EC2 Instance Fundamentals

# Task 1.1: Find Latest Ubuntu AMI
# Search for Ubuntu 22.04 LTS AMI
aws ec2 describe-images \
  --owners 099720109477 \
  --filters "Name=name,Values=ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*" \
  --query 'Images | sort_by(@, &CreationDate) | [-1].{ID:ImageId,Name:Name,Date:CreationDate}' \
  --output table | tee ami-table.txt

# Save the AMI ID
# STRATUS: the id is taken from the table above instead of a pasted placeholder.
#~ AMI_ID="ami-0c55b159cbfafe1f0"  # Replace with output from above
AMI_ID=$(grep -o 'ami-[0-9a-f]*' ami-table.txt)

# Create Security Group
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
# STRATUS: no Internet here; a documentation address (RFC 5737) stands for yours.
#~ MY_IP=$(curl -s https://checkip.amazonaws.com)
MY_IP=203.0.113.25
aws ec2 authorize-security-group-ingress \
  --group-id $SG_ID \
  --protocol tcp \
  --port 22 \
  --cidr ${MY_IP}/32

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

# Create SSH Key Pair
# Create key pair
aws ec2 create-key-pair \
  --key-name ml-inference-key \
  --query 'KeyMaterial' \
  --output text > ~/.ssh/ml-inference-key.pem

# Set correct permissions
chmod 400 ~/.ssh/ml-inference-key.pem

# Verify key was created
aws ec2 describe-key-pairs --key-names ml-inference-key

# Launch EC2 Instance
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
  ]' | tee run-instances.json

# Get instance ID from output
# STRATUS: taken from the output above instead of a pasted placeholder.
#~ INSTANCE_ID="i-0abc123def456789"
INSTANCE_ID=$(jq -r '.Instances[0].InstanceId' run-instances.json)

# Wait for instance to be running
aws ec2 wait instance-running --instance-ids $INSTANCE_ID

# Get public IP address
PUBLIC_IP=$(aws ec2 describe-instances \
  --instance-ids $INSTANCE_ID \
  --query 'Reservations[0].Instances[0].PublicIpAddress' \
  --output text)

echo "Instance is running at: $PUBLIC_IP"

# Connect to Instance
# STRATUS: instances do not run code yet (no SSH server, no instance metadata
# service at 169.254.169.254): the SSH session is skipped.
#~ # SSH into the instance
#~ ssh -i ~/.ssh/ml-inference-key.pem ubuntu@$PUBLIC_IP

#~ # Once connected, verify instance metadata
#~ curl http://169.254.169.254/latest/meta-data/instance-id
#~ curl http://169.254.169.254/latest/meta-data/instance-type
#~ curl http://169.254.169.254/latest/meta-data/placement/availability-zone

#~ # Check if IAM role is attached
#~ curl http://169.254.169.254/latest/meta-data/iam/security-credentials/

#~ # Exit SSH
#~ exit

# Task 1.2: User Data Script
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

# Launch Instance with User Data
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
  ]' | tee run-instances-v2.json

# Get new instance ID
# STRATUS: taken from the output above instead of a pasted placeholder.
#~ INSTANCE_ID_V2="i-0def456abc789012"
INSTANCE_ID_V2=$(jq -r '.Instances[0].InstanceId' run-instances-v2.json)

# Wait for instance to be running
aws ec2 wait instance-running --instance-ids $INSTANCE_ID_V2

# Get public IP
PUBLIC_IP_V2=$(aws ec2 describe-instances \
  --instance-ids $INSTANCE_ID_V2 \
  --query 'Reservations[0].Instances[0].PublicIpAddress' \
  --output text)

# Wait for user data script to complete (may take 3-5 minutes)
sleep 180

# Test health endpoint
# STRATUS: with the default (mock) runtime instances do not run their user data, so nothing serves
# port 5000; with `stratus start --runtime namespaces` they do (docs/ec2.md), given PyPI — or
# with ExecStart=/usr/local/bin/stratus-inference, Stratus's own server (docs/workload.md).
#~ curl http://$PUBLIC_IP_V2:5000/health

# Expected output:
# {"status": "healthy", "model_loaded": false}

# Task 1.3: Stop Instance
aws ec2 stop-instances --instance-ids $INSTANCE_ID_V2
aws ec2 wait instance-stopped --instance-ids $INSTANCE_ID_V2

# Verify instance state
aws ec2 describe-instances --instance-ids $INSTANCE_ID_V2 \
  --query 'Reservations[0].Instances[0].State.Name'
# Output: "stopped"

# Start Instance
aws ec2 start-instances --instance-ids $INSTANCE_ID_V2
aws ec2 wait instance-running --instance-ids $INSTANCE_ID_V2

# Note: Public IP changes after stop/start (unless using Elastic IP)
PUBLIC_IP_NEW=$(aws ec2 describe-instances \
  --instance-ids $INSTANCE_ID_V2 \
  --query 'Reservations[0].Instances[0].PublicIpAddress' \
  --output text)

echo "New public IP: $PUBLIC_IP_NEW"

# Allocate Elastic IP
# Allocate Elastic IP
EIP_ALLOC_ID=$(aws ec2 allocate-address --domain vpc --query 'AllocationId' --output text)
EIP_ADDRESS=$(aws ec2 describe-addresses --allocation-ids $EIP_ALLOC_ID --query 'Addresses[0].PublicIp' --output text)

# Associate with instance
aws ec2 associate-address \
  --instance-id $INSTANCE_ID_V2 \
  --allocation-id $EIP_ALLOC_ID

echo "Elastic IP $EIP_ADDRESS associated with instance"

# Now the IP won't change after stop/start

# Reboot Instance
aws ec2 reboot-instances --instance-ids $INSTANCE_ID_V2

# Terminate Instance
# Terminate the first test instance (we'll keep v2)
aws ec2 terminate-instances --instance-ids $INSTANCE_ID
aws ec2 wait instance-terminated --instance-ids $INSTANCE_ID

