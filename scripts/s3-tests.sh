#!/usr/bin/env bash
# Runs the external ceph/s3-tests suite against a Stratus started here, and prints pass/fail counts.
# It fetches nothing: give it a checkout of https://github.com/ceph/s3-tests.
#
#   scripts/s3-tests.sh /path/to/s3-tests [pytest args...]
#
# Env: PYTHON (default python3; needs boto3, pytest, munch, isodate, pytz, dateutil),
#      PORT (default 4637), AUTH (off|strict, default strict), OUT (default /tmp/s3-tests-run),
#      KEYWORDS (pytest -k expression), SELECT (pytest -m expression; default excludes features Stratus does not implement
#      and tests s3-tests itself marks as not AWS behaviour).
# Not part of `npm test`. Build first (`npm run build`).
set -euo pipefail
S3T=${1:?usage: scripts/s3-tests.sh /path/to/s3-tests [pytest args...]}
shift
S3T=$(cd "$S3T" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
PORT=${PORT:-4637}
AUTH=${AUTH:-strict}
OUT=${OUT:-/tmp/s3-tests-run}
SELECT=${SELECT:-"not fails_on_aws and not fails_on_s3 and not appendobject and not s3select and not sns and not iam_account and not iam_cross_account and not iam_role and not iam_user and not iam_tenant and not role_policy and not user_policy and not group and not group_policy and not session_policy and not abac_test and not test_of_sts and not webidentity_test and not token_claims_trust_policy_test and not token_principal_tag_role_policy_test and not token_request_tag_trust_policy_test and not token_resource_tags_test and not token_role_tags_test and not token_tag_keys_test and not cloud_transition and not cloud_restore and not lifecycle_expiration and not lifecycle_transition and not fails_without_logging_rollover and not auth_aws2 and not bucket_logging and not bucket_logging_cleanup"}
KEYWORDS=${KEYWORDS:-}
mkdir -p "$OUT"
rm -rf "$OUT/data"

# Three distinct accounts: a 12-digit access key id is that account in Stratus.
MAIN=111122223333 ALT=444455556666 TENANT=777788889999
canon() { printf 'stratus-canonical-user:%s' "$1" | sha256sum | cut -d' ' -f1; }
cat > "$OUT/credentials" <<CREDS
[main]
aws_access_key_id = $MAIN
aws_secret_access_key = main-secret-key
[alt]
aws_access_key_id = $ALT
aws_secret_access_key = alt-secret-key
[tenant]
aws_access_key_id = $TENANT
aws_secret_access_key = tenant-secret-key
CREDS
node "$ROOT/bin/stratus.cjs" start --port "$PORT" --data-dir "$OUT/data" --auth "$AUTH" \
  --credentials-file "$OUT/credentials" >"$OUT/stratus.log" 2>&1 &
STRATUS=$!
trap 'kill $STRATUS 2>/dev/null || true' EXIT
for _ in $(seq 150); do
  kill -0 $STRATUS 2>/dev/null || { echo "Stratus did not start:"; cat "$OUT/stratus.log"; exit 1; }
  grep -q "listening on" "$OUT/stratus.log" && break
  sleep 0.2
done

# The KMS tests need real keys (as on AWS): two keys in the main account, named by ARN — the form
# S3 answers in x-amz-server-side-encryption-aws-kms-key-id, which the tests compare with this value.
kms_key() {
  AWS_ACCESS_KEY_ID=$MAIN AWS_SECRET_ACCESS_KEY=main-secret-key "$PYTHON" -c \
    "import boto3; print(boto3.client('kms', endpoint_url='http://127.0.0.1:$PORT', region_name='us-east-1').create_key()['KeyMetadata']['Arn'])"
}
KMS1=$(kms_key) KMS2=$(kms_key)
cat > "$OUT/s3tests.conf" <<CONF
[DEFAULT]
host = 127.0.0.1
port = $PORT
is_secure = False
ssl_verify = False
[fixtures]
bucket prefix = s3t-{random}-
iam name prefix = s3-tests-
iam path prefix = /s3-tests/
[s3 main]
display_name = $MAIN
user_id = $(canon $MAIN)
email = main@example.com
# s3-tests creates a bucket with this constraint; us-east-1 is refused as a constraint (as AWS does)
api_name = eu-west-1
kms_keyid = $KMS1
kms_keyid2 = $KMS2
access_key = $MAIN
secret_key = main-secret-key
[s3 alt]
display_name = $ALT
user_id = $(canon $ALT)
email = alt@example.com
access_key = $ALT
secret_key = alt-secret-key
[s3 tenant]
display_name = $TENANT
user_id = $(canon $TENANT)
email = tenant@example.com
access_key = $TENANT
secret_key = tenant-secret-key
tenant = testx
[iam]
email = iam@example.com
user_id = iam
access_key = 444444444444
secret_key = iam-secret-key
display_name = iam
[iam root]
access_key = 555555555555
secret_key = iam-root-secret
user_id = 555555555555
email = root@example.com
[iam alt root]
access_key = 666666666666
secret_key = iam-alt-root-secret
user_id = 666666666666
email = altroot@example.com
CONF


cd "$S3T"
set +e
S3TEST_CONF="$OUT/s3tests.conf" AWS_DEFAULT_REGION=us-east-1 "$PYTHON" -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning \
  -o junit_family=xunit1 --junitxml="$OUT/junit.xml" -m "$SELECT" ${KEYWORDS:+-k "$KEYWORDS"} \
  s3tests/functional/test_s3.py s3tests/functional/test_headers.py "$@" >"$OUT/pytest.log" 2>&1
set -e
grep -E "^(=+ )?[0-9]+ (passed|failed)" "$OUT/pytest.log" | tail -n 1
echo "details: $OUT/pytest.log, $OUT/junit.xml"
