# STRATUS: not in Exercise 02. Its launches name the instance profile
# ml-inference-ec2-profile, which Exercise 01 (AWS Account & IAM) leaves
# behind; without it run-instances fails as on AWS ("Invalid IAM Instance
# Profile name"). Create it here, with the role it holds, through IAM.
cat > ec2-trust-policy.json <<'EOF'
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Service": "ec2.amazonaws.com"},
    "Action": "sts:AssumeRole"
  }]
}
EOF

aws iam create-role \
  --role-name ml-inference-ec2-role \
  --assume-role-policy-document file://ec2-trust-policy.json

aws iam attach-role-policy \
  --role-name ml-inference-ec2-role \
  --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess

aws iam create-instance-profile --instance-profile-name ml-inference-ec2-profile

aws iam add-role-to-instance-profile \
  --instance-profile-name ml-inference-ec2-profile \
  --role-name ml-inference-ec2-role
