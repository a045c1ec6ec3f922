# Part 6: Validation and Cost Analysis

# Task 6.1: Check Resource Inventory
# List all EC2 instances
aws ec2 describe-instances \
  --filters "Name=tag:Project,Values=ml-infrastructure" \
  --query 'Reservations[].Instances[].[InstanceId,InstanceType,State.Name,PublicIpAddress,Tags[?Key==`Name`].Value|[0]]' \
  --output table

# List all EBS volumes
aws ec2 describe-volumes \
  --filters "Name=tag:Project,Values=ml-infrastructure" \
  --query 'Volumes[].[VolumeId,Size,VolumeType,State,Attachments[0].InstanceId]' \
  --output table

# List all S3 buckets
aws s3 ls | grep ml-

# Get S3 bucket size
aws s3 ls s3://$BUCKET_NAME --recursive --summarize | tail -2

# Task 6.2: Calculate Estimated Costs
cat > cost-estimate.sh <<'EOF'
#!/bin/bash

echo "=== Monthly Cost Estimate ==="
echo ""

# EC2 Costs
echo "EC2 (1x t2.micro, 100% uptime):"
echo "  $0.0116/hour × 730 hours = $8.47/month"
echo ""

# EBS Costs
echo "EBS (50GB gp3):"
echo "  $0.08/GB × 50GB = $4.00/month"
echo "  IOPS (3000) included"
echo "  Throughput (125 MB/s) included"
echo ""

# S3 Costs (assuming 10GB storage, 1000 requests/month)
echo "S3 Standard (10GB):"
echo "  Storage: $0.023/GB × 10GB = $0.23/month"
echo "  PUT requests: $0.005/1000 × 1 = $0.005/month"
echo "  GET requests: $0.0004/1000 × 1 = $0.0004/month"
echo "  Total S3: ~$0.24/month"
echo ""

# Data Transfer (assuming 10GB out/month)
echo "Data Transfer:"
echo "  First 1GB free, then $0.09/GB"
echo "  10GB - 1GB = 9GB × $0.09 = $0.81/month"
echo ""

# Total
echo "=== TOTAL ESTIMATED COST ==="
echo "EC2:           $8.47"
echo "EBS:           $4.00"
echo "S3:            $0.24"
echo "Data Transfer: $0.81"
echo "------------------------"
echo "TOTAL:        $13.52/month"
echo ""
echo "With Spot Instances (70% savings on EC2):"
echo "  EC2 Spot:      $2.54"
echo "  Other:        $5.05"
echo "  TOTAL:        $7.59/month (44% savings)"
EOF

chmod +x cost-estimate.sh
./cost-estimate.sh

