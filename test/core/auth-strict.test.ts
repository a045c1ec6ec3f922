/**
 * --auth strict with real clients: signatures (headers and presigned URLs),
 * payload hashes, clock skew, session tokens and expiry, for keys that are
 * configured, read from an AWS credentials file, issued by STS, or created
 * as IAM access keys.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { CloudWatchClient, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeRegionsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, DeleteAccessKeyCommand, IAMClient, UpdateAccessKeyCommand } from "@aws-sdk/client-iam";
import { KMSClient, ListKeysCommand } from "@aws-sdk/client-kms";
import { GetObjectCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand, STSClient } from "@aws-sdk/client-sts";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, startTestStratus } from "../support/stratus.js";
import { presignUrl, sendSigned, stsForm } from "../support/sign.js";

const GOOD = { accessKeyId: "AKIASTRATUSTESTKEY01", secretAccessKey: "strict-secret-0123456789abcdefghijklmnopq" };
const OTHER_ACCOUNT = { accessKeyId: "AKIASTRATUSTESTKEY02", secretAccessKey: "another-secret-0123456789abcdefghijklmno", account: "111122223333" };
const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::000000000000:root" }, Action: "sts:AssumeRole" }] });

function config(stratus: RunningStratus, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) {
  return { endpoint: stratus.endpoint, region: "us-east-1", credentials, maxAttempts: 1 };
}

/** The wire error code: SDK v3 keeps it in Code for query/XML errors, in name otherwise. */
function code(error: any): string {
  return error.Code ?? error.name;
}

async function rejectsWith(promise: Promise<unknown>, expected: string, status: number, message?: RegExp) {
  await assert.rejects(promise, (error: any) => {
    assert.equal(code(error), expected, `${code(error)}: ${error.message}`);
    assert.equal(error.$metadata?.httpStatusCode, status);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe("strict SigV4 authentication", () => {
  let stratus: RunningStratus;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "stratus-auth-"));
    const file = path.join(dir, "credentials");
    writeFileSync(
      file,
      `# Stratus test credentials, AWS INI format
[default]
aws_access_key_id = ${GOOD.accessKeyId}
aws_secret_access_key = ${GOOD.secretAccessKey}

[other]
aws_access_key_id=${OTHER_ACCOUNT.accessKeyId}
aws_secret_access_key=${OTHER_ACCOUNT.secretAccessKey}
aws_account_id = ${OTHER_ACCOUNT.account}
`,
    );
    stratus = await startTestStratus({ auth: "strict", credentialsFile: file, clock: "virtual" });
  });
  after(async () => {
    await stratus.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe("SDK v3 clients", () => {
    it("accept the right credentials in every protocol", async () => {
      const identity = await new STSClient(config(stratus, GOOD)).send(new GetCallerIdentityCommand({}));
      assert.equal(identity.Account, "000000000000");
      const other = await new STSClient(config(stratus, OTHER_ACCOUNT)).send(new GetCallerIdentityCommand({}));
      assert.equal(other.Account, "111122223333", "the credentials file names the account");
      await new IAMClient(config(stratus, GOOD)).send(new CreateRoleCommand({ RoleName: "strict-role", AssumeRolePolicyDocument: TRUST }));
      // Past authentication, a service answers or says what it lacks; never an auth error.
      for (const call of [
        () => new EC2Client(config(stratus, GOOD)).send(new DescribeRegionsCommand({})),
        () => new KMSClient(config(stratus, GOOD)).send(new ListKeysCommand({})),
        () => new CloudWatchClient(config(stratus, GOOD)).send(new ListMetricsCommand({})),
        () => new S3Client({ ...config(stratus, GOOD), forcePathStyle: true }).send(new ListBucketsCommand({})),
      ]) {
        await call().catch((error) => assert.equal(code(error), "NotImplemented", `${code(error)}: ${error.message}`));
      }
    });

    it("answer a wrong secret with each family's signature error", async () => {
      const wrong = { accessKeyId: GOOD.accessKeyId, secretAccessKey: "wrong-secret" };
      await rejectsWith(new STSClient(config(stratus, wrong)).send(new GetCallerIdentityCommand({})), "SignatureDoesNotMatch", 403, /signature we calculated does not match/);
      await rejectsWith(new KMSClient(config(stratus, wrong)).send(new ListKeysCommand({})), "InvalidSignatureException", 403);
      await rejectsWith(new EC2Client(config(stratus, wrong)).send(new DescribeRegionsCommand({})), "AuthFailure", 401, /AWS was not able to validate the provided access credentials/);
      await rejectsWith(
        new S3Client({ ...config(stratus, wrong), forcePathStyle: true }).send(new ListBucketsCommand({})),
        "SignatureDoesNotMatch",
        403,
        /Check your key and signing method/,
      );
    });

    it("answer an unknown access key with InvalidClientTokenId (S3: InvalidAccessKeyId)", async () => {
      const unknown = { accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "x" };
      await rejectsWith(new STSClient(config(stratus, unknown)).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403, /security token included in the request is invalid/);
      await rejectsWith(new KMSClient(config(stratus, unknown)).send(new ListKeysCommand({})), "UnrecognizedClientException", 403);
      await rejectsWith(
        new S3Client({ ...config(stratus, unknown), forcePathStyle: true }).send(new ListBucketsCommand({})),
        "InvalidAccessKeyId",
        403,
        /does not exist in our records/,
      );
    });

    it("refuse unsigned requests to services other than S3", async () => {
      const response = await fetch(`${stratus.endpoint}/`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: stsForm("GetCallerIdentity"),
      });
      assert.equal(response.status, 403);
      assert.match(await response.text(), /<Code>MissingAuthenticationToken<\/Code>/);
    });
  });

  describe("temporary and IAM credentials", () => {
    it("accept STS credentials with their session token, and refuse them without it or once expired", async () => {
      const sts = new STSClient(config(stratus, GOOD));
      const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::000000000000:role/strict-role", RoleSessionName: "s1", DurationSeconds: 900 }));
      const session = { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey!, sessionToken: Credentials!.SessionToken! };
      const asRole = await new STSClient(config(stratus, session)).send(new GetCallerIdentityCommand({}));
      assert.equal(asRole.Arn, "arn:aws:sts::000000000000:assumed-role/strict-role/s1");

      const { sessionToken: _dropped, ...withoutToken } = session;
      await rejectsWith(new STSClient(config(stratus, withoutToken)).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);

      const token = await sts.send(new GetSessionTokenCommand({ DurationSeconds: 3600 }));
      const tokenCredentials = { accessKeyId: token.Credentials!.AccessKeyId!, secretAccessKey: token.Credentials!.SecretAccessKey!, sessionToken: token.Credentials!.SessionToken! };
      await new STSClient(config(stratus, tokenCredentials)).send(new GetCallerIdentityCommand({}));

      await stratus.clock.advance("16m");
      await rejectsWith(new STSClient(config(stratus, session)).send(new GetCallerIdentityCommand({})), "ExpiredToken", 403, /security token included in the request is expired/);
      await rejectsWith(new KMSClient(config(stratus, session)).send(new ListKeysCommand({})), "ExpiredTokenException", 403);
      await rejectsWith(new S3Client({ ...config(stratus, session), forcePathStyle: true }).send(new ListBucketsCommand({})), "ExpiredToken", 400);
      await new STSClient(config(stratus, tokenCredentials)).send(new GetCallerIdentityCommand({}));
    });

    it("accept IAM access keys until they are deactivated or deleted", async () => {
      const iam = new IAMClient(config(stratus, GOOD));
      await iam.send(new CreateUserCommand({ UserName: "strict-user" }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "strict-user" }))).AccessKey!;
      const asUser = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
      const identity = await new STSClient(config(stratus, asUser)).send(new GetCallerIdentityCommand({}));
      assert.equal(identity.Arn, "arn:aws:iam::000000000000:user/strict-user");

      await iam.send(new UpdateAccessKeyCommand({ UserName: "strict-user", AccessKeyId: key.AccessKeyId!, Status: "Inactive" }));
      await rejectsWith(new STSClient(config(stratus, asUser)).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);
      await iam.send(new UpdateAccessKeyCommand({ UserName: "strict-user", AccessKeyId: key.AccessKeyId!, Status: "Active" }));
      await new STSClient(config(stratus, asUser)).send(new GetCallerIdentityCommand({}));
      await iam.send(new DeleteAccessKeyCommand({ UserName: "strict-user", AccessKeyId: key.AccessKeyId! }));
      await rejectsWith(new STSClient(config(stratus, asUser)).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);
    });
  });

  describe("raw signing", () => {
    const sts = { service: "sts", credentials: GOOD };
    const post = (body: string) => ({ method: "POST", path: "/", headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, body });

    it("verifies the payload: a body changed after signing, or a false x-amz-content-sha256, fails", async () => {
      const ok = await sendSigned(stratus.endpoint, post(stsForm("GetCallerIdentity")), sts);
      assert.equal(ok.status, 200, await ok.text());
      const tampered = await sendSigned(stratus.endpoint, post(stsForm("GetCallerIdentity")), { ...sts, sendBody: stsForm("GetSessionToken") });
      assert.equal(tampered.status, 403);
      assert.match(await tampered.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
      const lying = await sendSigned(
        stratus.endpoint,
        { ...post(stsForm("GetCallerIdentity")), headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8", "x-amz-content-sha256": "0".repeat(64) } },
        sts,
      );
      assert.equal(lying.status, 403);
      assert.match(await lying.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
    });

    it("refuses requests signed more than 15 minutes away from now, either way", async () => {
      const late = await sendSigned(stratus.endpoint, post(stsForm("GetCallerIdentity")), { ...sts, signingDate: new Date(Date.now() - 20 * 60_000) });
      assert.equal(late.status, 403);
      const lateBody = await late.text();
      assert.match(lateBody, /<Code>SignatureDoesNotMatch<\/Code>/);
      assert.match(lateBody, /Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)/);
      const early = await sendSigned(stratus.endpoint, post(stsForm("GetCallerIdentity")), { ...sts, signingDate: new Date(Date.now() + 20 * 60_000) });
      assert.equal(early.status, 403);
      assert.match(await early.text(), /Signature not yet current/);
      const s3 = await sendSigned(
        stratus.endpoint,
        { method: "GET", path: "/", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } },
        { service: "s3", credentials: GOOD, signingDate: new Date(Date.now() - 20 * 60_000) },
      );
      assert.equal(s3.status, 403);
      assert.match(await s3.text(), /<Code>RequestTimeTooSkewed<\/Code>/);
    });

    it("accepts a presigned STS URL, and refuses it expired or tampered with", async () => {
      const request = { method: "GET", path: "/", query: { Action: "GetCallerIdentity", Version: "2011-06-15" } };
      const url = await presignUrl(stratus.endpoint, request, { ...sts, expiresIn: 60 });
      const ok = await fetch(url);
      assert.equal(ok.status, 200, await ok.clone().text());
      assert.match(await ok.text(), /<Account>000000000000<\/Account>/);

      const expired = await presignUrl(stratus.endpoint, request, { ...sts, expiresIn: 60, signingDate: new Date(Date.now() - 5 * 60_000) });
      const expiredResponse = await fetch(expired);
      assert.equal(expiredResponse.status, 403);
      assert.match(await expiredResponse.text(), /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);

      const tampered = await fetch(url.replace("GetCallerIdentity", "GetSessionToken"));
      assert.equal(tampered.status, 403);
      assert.match(await tampered.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
    });

    it("accepts presigned S3 URLs from the SDK presigner, and refuses expired or tampered ones", async () => {
      const s3 = new S3Client({ ...config(stratus, GOOD), forcePathStyle: true });
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "presign-bucket", Key: "models/v1.pth" }), { expiresIn: 300 });
      const valid = await fetch(url);
      const validBody = await valid.text();
      assert.doesNotMatch(validBody, /SignatureDoesNotMatch|AccessDenied|InvalidAccessKeyId/, validBody);

      const old = await getSignedUrl(s3, new GetObjectCommand({ Bucket: "presign-bucket", Key: "models/v1.pth" }), {
        expiresIn: 60,
        signingDate: new Date(Date.now() - 10 * 60_000),
      });
      const expired = await fetch(old);
      assert.equal(expired.status, 403);
      const expiredBody = await expired.text();
      assert.match(expiredBody, /<Code>AccessDenied<\/Code>/);
      assert.match(expiredBody, /<Message>Request has expired<\/Message>/);

      const tampered = await fetch(url.replace("models/v1.pth", "models/v2.pth"));
      assert.equal(tampered.status, 403);
      assert.match(await tampered.text(), /<Code>SignatureDoesNotMatch<\/Code>/);

      const tooLong = await fetch(url.replace(/X-Amz-Expires=\d+/, "X-Amz-Expires=604801"));
      assert.equal(tooLong.status, 400);
      assert.match(await tooLong.text(), /AuthorizationQueryParametersError/);
    });
  });

  it("works with the aws CLI and the credentials from the file", async () => {
    const ok = await awsCli(stratus, ["sts", "get-caller-identity", "--query", "Account", "--output", "text"], {
      env: { AWS_ACCESS_KEY_ID: OTHER_ACCOUNT.accessKeyId, AWS_SECRET_ACCESS_KEY: OTHER_ACCOUNT.secretAccessKey },
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), "111122223333");
    const bad = await awsCli(stratus, ["sts", "get-caller-identity"], { env: { AWS_ACCESS_KEY_ID: GOOD.accessKeyId, AWS_SECRET_ACCESS_KEY: "nope" } });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /SignatureDoesNotMatch/);
  });
});
