import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  GetBucketPolicyCommand,
  DeleteBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  PutPublicAccessBlockCommand,
  GetPublicAccessBlockCommand,
  DeletePublicAccessBlockCommand,
  PutBucketOwnershipControlsCommand,
  GetBucketOwnershipControlsCommand,
  DeleteBucketOwnershipControlsCommand,
  GetBucketAclCommand,
  PutBucketAclCommand,
  GetObjectAclCommand,
  PutObjectAclCommand,
} from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";

const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";

function rejectsWith(code: string, status: number) {
  return (error: any) => {
    assert.equal(error.name, code, `${error.name}: ${error.message}`);
    assert.equal(error.$metadata?.httpStatusCode, status);
    return true;
  };
}

describe("S3 access control", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  let other: S3Client;
  const anon = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${stratus.endpoint}${path}`, init);
    return { status: res.status, body: await res.text() };
  };
  const policy = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
  before(async () => {
    stratus = await startTestStratus();
    s3 = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
    other = new S3Client({ ...sdkConfig(stratus), credentials: { accessKeyId: "111111111111", secretAccessKey: "x" }, forcePathStyle: true });
  });
  after(() => stratus.stop());

  it("gives new buckets S3's defaults: public access blocked, ACLs disabled, owner-only ACL", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "defaults" }));
    const block = await s3.send(new GetPublicAccessBlockCommand({ Bucket: "defaults" }));
    assert.deepEqual(block.PublicAccessBlockConfiguration, { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    const ownership = await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: "defaults" }));
    assert.equal(ownership.OwnershipControls!.Rules![0].ObjectOwnership, "BucketOwnerEnforced");
    const acl = await s3.send(new GetBucketAclCommand({ Bucket: "defaults" }));
    assert.equal(acl.Grants!.length, 1);
    assert.equal(acl.Grants![0].Permission, "FULL_CONTROL");
    assert.equal(acl.Grants![0].Grantee!.ID, acl.Owner!.ID);
    await assert.rejects(s3.send(new PutBucketAclCommand({ Bucket: "defaults", ACL: "public-read" })), rejectsWith("AccessControlListNotSupported", 400));
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: "defaults", Key: "k", Body: "x", ACL: "public-read" })), rejectsWith("AccessControlListNotSupported", 400));
    await s3.send(new PutObjectCommand({ Bucket: "defaults", Key: "k", Body: "x", ACL: "bucket-owner-full-control" }));
    await assert.rejects(s3.send(new CreateBucketCommand({ Bucket: "public-at-birth", ACL: "public-read" })), rejectsWith("InvalidBucketAclWithObjectOwnership", 400));
  });

  it("answers 403 AccessDenied to unsigned requests on a private bucket, and to other accounts", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "private" }));
    await s3.send(new PutObjectCommand({ Bucket: "private", Key: "model.pth", Body: "weights" }));
    const get = await anon("/private/model.pth");
    assert.equal(get.status, 403);
    assert.match(get.body, /<Code>AccessDenied<\/Code>/);
    assert.equal((await anon("/private?list-type=2")).status, 403);
    assert.equal((await anon("/private/new.txt", { method: "PUT", body: "x" })).status, 403);
    await assert.rejects(other.send(new GetObjectCommand({ Bucket: "private", Key: "model.pth" })), rejectsWith("AccessDenied", 403));
    await assert.rejects(s3.send(new GetBucketPolicyCommand({ Bucket: "private" })), rejectsWith("NoSuchBucketPolicy", 404));
  });

  it("refuses a public policy while BlockPublicPolicy is on, then lets anonymous readers in through it", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "site" }));
    await s3.send(new PutObjectCommand({ Bucket: "site", Key: "public/index.html", Body: "<h1>hi</h1>" }));
    await s3.send(new PutObjectCommand({ Bucket: "site", Key: "private/notes.txt", Body: "secret" }));
    const publicRead = policy({ Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::site/public/*" });
    await assert.rejects(s3.send(new PutBucketPolicyCommand({ Bucket: "site", Policy: publicRead })), rejectsWith("AccessDenied", 403));
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: "site" }));
    await assert.rejects(s3.send(new GetPublicAccessBlockCommand({ Bucket: "site" })), rejectsWith("NoSuchPublicAccessBlockConfiguration", 404));
    const put = await s3.send(new PutBucketPolicyCommand({ Bucket: "site", Policy: publicRead }));
    assert.equal(put.$metadata.httpStatusCode, 204, "S3 answers PutBucketPolicy with 204 No Content");
    assert.equal((await s3.send(new GetBucketPolicyCommand({ Bucket: "site" }))).Policy, publicRead);
    assert.equal((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: "site" }))).PolicyStatus!.IsPublic, true);
    const ok = await anon("/site/public/index.html");
    assert.equal(ok.status, 200);
    assert.equal(ok.body, "<h1>hi</h1>");
    assert.equal((await anon("/site/private/notes.txt")).status, 403);
    assert.equal((await anon("/site?list-type=2")).status, 403);
    // RestrictPublicBuckets confines a public policy to the owner's account.
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: "site", PublicAccessBlockConfiguration: { RestrictPublicBuckets: true } }));
    assert.equal((await anon("/site/public/index.html")).status, 403);
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: "site" }));
    assert.equal((await anon("/site/public/index.html")).status, 200);
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: "site" }));
    assert.equal((await anon("/site/public/index.html")).status, 403);
  });

  it("evaluates conditions: aws:SourceIp and s3:prefix", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "cond" }));
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: "cond" }));
    await s3.send(new PutObjectCommand({ Bucket: "cond", Key: "home/a.txt", Body: "a" }));
    await s3.send(new PutObjectCommand({ Bucket: "cond", Key: "etc/b.txt", Body: "b" }));
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: "cond",
        Policy: policy(
          { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::cond/*", Condition: { IpAddress: { "aws:SourceIp": "127.0.0.0/8" } } },
          { Effect: "Allow", Principal: "*", Action: "s3:ListBucket", Resource: "arn:aws:s3:::cond", Condition: { StringLike: { "s3:prefix": "home/*" } } },
        ),
      }),
    );
    assert.equal((await anon("/cond/etc/b.txt")).status, 200);
    const listed = await anon("/cond?list-type=2&prefix=home/");
    assert.equal(listed.status, 200);
    assert.match(listed.body, /home\/a\.txt/);
    assert.equal((await anon("/cond?list-type=2&prefix=etc/")).status, 403);
    assert.equal((await anon("/cond?list-type=2")).status, 403);
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: "cond",
        Policy: policy({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::cond/*", Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } }),
      }),
    );
    assert.equal((await anon("/cond/etc/b.txt")).status, 403);
  });

  it("lets a Deny bind the owner too, except for managing the policy itself", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "guarded" }));
    await s3.send(new PutObjectCommand({ Bucket: "guarded", Key: "protected/model.pth", Body: "w" }));
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: "guarded",
        Policy: policy({ Effect: "Deny", Principal: "*", Action: ["s3:DeleteObject", "s3:PutObject"], Resource: "arn:aws:s3:::guarded/protected/*" }),
      }),
    );
    assert.equal((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: "guarded" }))).PolicyStatus!.IsPublic, false);
    await assert.rejects(s3.send(new DeleteObjectCommand({ Bucket: "guarded", Key: "protected/model.pth" })), rejectsWith("AccessDenied", 403));
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: "guarded", Key: "protected/other", Body: "x" })), rejectsWith("AccessDenied", 403));
    await s3.send(new PutObjectCommand({ Bucket: "guarded", Key: "open/other", Body: "x" }));
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: "guarded" }));
    await s3.send(new DeleteObjectCommand({ Bucket: "guarded", Key: "protected/model.pth" }));
  });

  it("conditions on the request's SSE-C algorithm (s3:x-amz-server-side-encryption-customer-algorithm)", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "sse-c-only" }));
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: "sse-c-only",
        Policy: policy({
          Effect: "Deny",
          Principal: "*",
          Action: "s3:PutObject",
          Resource: "arn:aws:s3:::sse-c-only/*",
          Condition: { Null: { "s3:x-amz-server-side-encryption-customer-algorithm": "true" } },
        }),
      }),
    );
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: "sse-c-only", Key: "plain", Body: "x" })), rejectsWith("AccessDenied", 403));
    const key = Buffer.alloc(32, 9);
    await s3.send(
      new PutObjectCommand({
        Bucket: "sse-c-only",
        Key: "sealed",
        Body: "x",
        SSECustomerAlgorithm: "AES256",
        SSECustomerKey: key.toString("base64"),
        SSECustomerKeyMD5: createHash("md5").update(key).digest("base64"),
      }),
    );
  });

  it("grants another account access through the bucket policy", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "shared" }));
    await s3.send(new PutObjectCommand({ Bucket: "shared", Key: "data.csv", Body: "1,2" }));
    await assert.rejects(other.send(new ListObjectsV2Command({ Bucket: "shared" })), rejectsWith("AccessDenied", 403));
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: "shared",
        Policy: policy(
          { Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: ["s3:GetObject"], Resource: "arn:aws:s3:::shared/*" },
          { Effect: "Allow", Principal: { AWS: "111111111111" }, Action: "s3:ListBucket", Resource: "arn:aws:s3:::shared" },
        ),
      }),
    );
    assert.equal((await other.send(new ListObjectsV2Command({ Bucket: "shared" }))).KeyCount, 1);
    const got = await other.send(new GetObjectCommand({ Bucket: "shared", Key: "data.csv" }));
    assert.equal(await got.Body!.transformToString(), "1,2");
    await assert.rejects(other.send(new PutObjectCommand({ Bucket: "shared", Key: "x", Body: "x" })), rejectsWith("AccessDenied", 403));
    assert.equal((await anon("/shared/data.csv")).status, 403);
  });

  it("validates policies with S3's MalformedPolicy messages", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "strict" }));
    const bad = async (doc: string, message: RegExp) =>
      assert.rejects(s3.send(new PutBucketPolicyCommand({ Bucket: "strict", Policy: doc })), (e: any) => e.name === "MalformedPolicy" && message.test(e.message));
    await bad(policy({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::elsewhere/*" }), /Policy has invalid resource/);
    await bad(policy({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::strict/*" }), /Missing required field Principal/);
    await bad(policy({ Effect: "Allow", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::strict" }), /Action does not apply to any resource/);
  });

  it("honours ACLs once Object Ownership allows them, with BlockPublicAcls and IgnorePublicAcls", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "acls", ObjectOwnership: "ObjectWriter" }));
    assert.equal((await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: "acls" }))).OwnershipControls!.Rules![0].ObjectOwnership, "ObjectWriter");
    await s3.send(new PutObjectCommand({ Bucket: "acls", Key: "pub.txt", Body: "p" }));
    // Block Public Access is still on by default: public ACLs are refused.
    await assert.rejects(s3.send(new PutObjectAclCommand({ Bucket: "acls", Key: "pub.txt", ACL: "public-read" })), rejectsWith("AccessDenied", 403));
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: "acls" }));
    await s3.send(new PutObjectAclCommand({ Bucket: "acls", Key: "pub.txt", ACL: "public-read" }));
    const acl = await s3.send(new GetObjectAclCommand({ Bucket: "acls", Key: "pub.txt" }));
    assert.ok(acl.Grants!.some((g) => g.Grantee?.URI === ALL_USERS && g.Permission === "READ"));
    assert.equal((await anon("/acls/pub.txt")).status, 200);
    await s3.send(new PutObjectCommand({ Bucket: "acls", Key: "born-public.txt", Body: "b", ACL: "public-read" }));
    assert.equal((await anon("/acls/born-public.txt")).status, 200);
    assert.equal((await anon("/acls?list-type=2")).status, 403);
    await s3.send(new PutBucketAclCommand({ Bucket: "acls", ACL: "public-read" }));
    assert.equal((await anon("/acls?list-type=2")).status, 200);
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: "acls", PublicAccessBlockConfiguration: { IgnorePublicAcls: true } }));
    assert.equal((await anon("/acls/pub.txt")).status, 403);
    assert.equal((await anon("/acls?list-type=2")).status, 403);
    // Going back to BucketOwnerEnforced needs an owner-only bucket ACL.
    await assert.rejects(
      s3.send(new PutBucketOwnershipControlsCommand({ Bucket: "acls", OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] } })),
      rejectsWith("InvalidBucketAclWithObjectOwnership", 400),
    );
    await s3.send(new PutBucketAclCommand({ Bucket: "acls", ACL: "private" }));
    await s3.send(new PutBucketOwnershipControlsCommand({ Bucket: "acls", OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] } }));
    await s3.send(new DeleteBucketOwnershipControlsCommand({ Bucket: "acls" }));
    await assert.rejects(s3.send(new GetBucketOwnershipControlsCommand({ Bucket: "acls" })), rejectsWith("OwnershipControlsNotFoundError", 404));
  });
});
