# Cleanup: Terminate Resources

# STRATUS: the spot fleet that Part 4.3 requested here goes too, with its instances
# (they use the security group deleted below).
aws ec2 cancel-spot-fleet-requests --spot-fleet-request-ids $SPOT_FLEET_REQUEST_ID --terminate-instances

# Terminate EC2 instances
aws ec2 terminate-instances --instance-ids $INSTANCE_ID_V2 $SPOT_INSTANCE_ID

# Release Elastic IP
aws ec2 release-address --allocation-id $EIP_ALLOC_ID

# Delete EBS volumes (wait for instances to terminate first)
aws ec2 wait instance-terminated --instance-ids $INSTANCE_ID_V2
aws ec2 delete-volume --volume-id $VOLUME_ID
aws ec2 delete-volume --volume-id $RESTORED_VOLUME_ID

# Delete EBS snapshots
aws ec2 delete-snapshot --snapshot-id $SNAPSHOT_ID

# Delete S3 buckets (must be empty first)
# STRATUS: both buckets are versioned, so, as on AWS, `s3 rm` only adds delete
# markers and `s3 rb` fails with BucketNotEmpty ("You must delete all versions in
# the bucket"); `fails` checks that. The versions and markers are then deleted, as
# a user would, and the bucket removed.
aws s3 rm s3://$BUCKET_NAME --recursive
fails aws s3 rb s3://$BUCKET_NAME
aws s3api delete-objects --bucket $BUCKET_NAME --delete "$(aws s3api list-object-versions --bucket $BUCKET_NAME \
  --query '{Objects: [Versions, DeleteMarkers][][].{Key: Key, VersionId: VersionId}, Quiet: `true`}' --output json)"
aws s3 rb s3://$BUCKET_NAME

aws s3 rm s3://$BUCKET_REPLICA --recursive --region us-west-2
fails aws s3 rb s3://$BUCKET_REPLICA --region us-west-2
aws s3api delete-objects --bucket $BUCKET_REPLICA --region us-west-2 --delete "$(aws s3api list-object-versions --bucket $BUCKET_REPLICA --region us-west-2 \
  --query '{Objects: [Versions, DeleteMarkers][][].{Key: Key, VersionId: VersionId}, Quiet: `true`}' --output json)"
aws s3 rb s3://$BUCKET_REPLICA --region us-west-2

# Delete security group
aws ec2 delete-security-group --group-id $SG_ID

# Delete key pair
aws ec2 delete-key-pair --key-name ml-inference-key
rm ~/.ssh/ml-inference-key.pem

