/**
 * Behaviours found by running ceph/s3-tests against Stratus (scripts/s3-tests.sh),
 * checked here with real clients: boto3 (what s3-tests uses), SDK v3 and raw
 * signed requests for what clients never send.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { boto3, CREDENTIALS, hasBoto3, startTestStratus } from "../support/stratus.js";
import { rawS3 } from "./raw.js";
import { bucketName, s3Client } from "./support.js";

describe("S3 conformance fixes (ceph/s3-tests)", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  let bucket: string;
  before(async () => {
    stratus = await startTestStratus({ auth: "strict", credentials: [CREDENTIALS] });
    s3 = s3Client(stratus);
    bucket = bucketName("conf");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(() => stratus.stop());

  it("stores Content-Encoding without aws-chunked, and reads a plain body sent with it", { skip: !hasBoto3() }, async () => {
    const out = await boto3(
      stratus,
      `
s3 = client("s3")
for label, encoding in [("gzipChunked", "gzip, aws-chunked"), ("chunkedGzip", "aws-chunked, gzip"), ("chunked", "aws-chunked"), ("two", "deflate, gzip")]:
    s3.put_object(Bucket=${JSON.stringify(bucket)}, Key="enc", Body=b"plain bytes", ContentEncoding=encoding)
    head = s3.head_object(Bucket=${JSON.stringify(bucket)}, Key="enc")
    out[label] = [head.get("ContentEncoding"), head["ContentLength"]]
`,
    );
    assert.deepEqual(out, { gzipChunked: ["gzip", 11], chunkedGzip: ["gzip", 11], chunked: [null, 11], two: ["deflate, gzip", 11] });
  });

  it("answers a streaming body without its decoded length with 411, and keeps serving", async () => {
    const response = await rawS3(stratus, "PUT", `/${bucket}/broken`, {
      body: "this is not aws-chunked",
      payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      headers: { "content-encoding": "aws-chunked" },
    });
    assert.equal(response.status, 411, response.body);
    assert.match(response.body, /<Code>MissingContentLength<\/Code>/);
    // The server is still up (a failing chunked decoder used to be an unhandled 'error' event).
    await new Promise((resolve) => setTimeout(resolve, 50));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "after", Body: "ok" }));
  });

  it("pages ListObjectVersions past a version-id-marker deleted since the last page", { skip: !hasBoto3() }, async () => {
    const name = bucketName("conf-nuke");
    const out = await boto3(
      stratus,
      `
s3 = client("s3")
b = ${JSON.stringify(name)}
s3.create_bucket(Bucket=b)
for i in range(7):
    s3.put_object(Bucket=b, Key="k%02d" % i, Body=b"x")
# Empty the bucket page by page, as test suites' cleanup does: delete a page, then ask for the next.
pages = 0
kwargs = {"Bucket": b, "MaxKeys": 3}
while True:
    page = s3.list_object_versions(**kwargs)
    pages += 1
    objs = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", [])]
    if objs:
        s3.delete_objects(Bucket=b, Delete={"Objects": objs, "Quiet": True})
    if not page["IsTruncated"]:
        break
    kwargs["KeyMarker"] = page["NextKeyMarker"]
    kwargs["VersionIdMarker"] = page["NextVersionIdMarker"]
out["marker"] = kwargs.get("VersionIdMarker")
out["pages"] = pages
out["left"] = s3.list_object_versions(Bucket=b).get("Versions", [])
s3.delete_bucket(Bucket=b)
`,
    );
    assert.equal(out.marker, "null");
    assert.equal(out.pages, 3);
    assert.deepEqual(out.left, []);
  });

  it("lists with an empty delimiter and continuation token as without them; max-keys=0 is not truncated", async () => {
    for (const key of ["a/1", "b"]) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `list/${key}`, Body: "x" }));
    const empty = await rawS3(stratus, "GET", `/${bucket}`, { query: "delimiter=&list-type=2&prefix=list%2F", accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: CREDENTIALS.secretAccessKey });
    assert.equal(empty.status, 200);
    assert.doesNotMatch(empty.body, /<Delimiter/);
    assert.match(empty.body, /<Key>list\/a\/1<\/Key>/);
    const token = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "list/", ContinuationToken: "" }));
    assert.deepEqual(token.Contents?.map((c) => c.Key), ["list/a/1", "list/b"]);
    const zero = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "list/", MaxKeys: 0 }));
    assert.equal(zero.IsTruncated, false);
    assert.equal(zero.KeyCount, 0);
  });

  it("verifies SigV4 over UTF-8 user metadata (strict mode)", { skip: !hasBoto3() }, async () => {
    const out = await boto3(
      stratus,
      `
s3 = client("s3")
# botocore refuses non-ASCII metadata parameters; set the header itself, as s3-tests does.
def unicode_metadata(params, **kwargs):
    params["headers"]["x-amz-meta-meta1"] = "Hello World\\u00e9"
s3.meta.events.register("before-call.s3.PutObject", unicode_metadata)
s3.put_object(Bucket=${JSON.stringify(bucket)}, Key="unicode", Body=b"x")
out["meta"] = s3.head_object(Bucket=${JSON.stringify(bucket)}, Key="unicode")["Metadata"]
`,
    );
    // Accepted (the signature covers the UTF-8 bytes sent), and read back RFC 2047-encoded as S3 does.
    const match = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=$/.exec(out.meta.meta1);
    assert.ok(match, out.meta.meta1);
    assert.equal(Buffer.from(match[1], "base64").toString("utf8"), "Hello World\u00e9");
  });

  it("answers a retried CompleteMultipartUpload like the first one", async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "mpu" }));
    const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "mpu", UploadId, PartNumber: 1, Body: "one part" }));
    const complete = () =>
      s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "mpu", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    const first = await complete();
    const again = await complete();
    assert.equal(again.ETag, first.ETag);
    assert.match(first.ETag ?? "", /-1"$/);
    // A different part list is not a retry: the upload is gone.
    await assert.rejects(
      s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "mpu", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }] } })),
      (e: any) => e.name === "NoSuchUpload",
    );
    // Once the object is replaced, the old upload id is unknown again.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "mpu", Body: "replaced" }));
    await assert.rejects(complete(), (e: any) => e.name === "NoSuchUpload");
  });

  it("keeps a multipart object's parts: GetObjectAttributes pages them, part reads carry the part's checksum", async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "parts", ChecksumAlgorithm: "SHA256" }));
    const bodies = [Buffer.alloc(5 * 1024 * 1024, "a"), Buffer.from("tail")];
    const uploaded = [];
    for (let i = 0; i < bodies.length; i++) {
      uploaded.push(await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "parts", UploadId, PartNumber: i + 1, Body: bodies[i], ChecksumAlgorithm: "SHA256" })));
    }
    const sha = (b: Buffer) => createHash("sha256").update(b).digest("base64");
    assert.deepEqual(uploaded.map((u) => u.ChecksumSHA256), bodies.map(sha));
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: "parts",
        UploadId,
        MultipartUpload: { Parts: uploaded.map((u, i) => ({ PartNumber: i + 1, ETag: u.ETag, ChecksumSHA256: u.ChecksumSHA256 })) },
      }),
    );
    const first = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: "parts", ObjectAttributes: ["ObjectParts"], MaxParts: 1 }));
    assert.equal(first.ObjectParts?.TotalPartsCount, 2);
    assert.equal(first.ObjectParts?.IsTruncated, true);
    assert.deepEqual(first.ObjectParts?.Parts, [{ PartNumber: 1, Size: bodies[0].length, ChecksumSHA256: sha(bodies[0]) }]);
    const rest = await s3.send(
      new GetObjectAttributesCommand({ Bucket: bucket, Key: "parts", ObjectAttributes: ["ObjectParts"], PartNumberMarker: first.ObjectParts?.NextPartNumberMarker }),
    );
    assert.equal(rest.ObjectParts?.IsTruncated, false);
    assert.deepEqual(rest.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size]), [[2, 4]]);
    const part = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "parts", PartNumber: 2, ChecksumMode: "ENABLED" }));
    assert.equal(part.ChecksumSHA256, sha(bodies[1]));
    assert.equal(part.ChecksumType, "COMPOSITE");
    assert.equal(part.ContentLength, 4);
  });

  it("asks for the SSE-C key before GetObjectAttributes of an SSE-C object", async () => {
    const key = Buffer.alloc(32, 7);
    const sse = { SSECustomerAlgorithm: "AES256", SSECustomerKey: key.toString("base64"), SSECustomerKeyMD5: createHash("md5").update(key).digest("base64") };
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "ssec", Body: "secret", ...sse }));
    await assert.rejects(
      s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: "ssec", ObjectAttributes: ["ObjectSize"] })),
      (e: any) => e.name === "InvalidRequest" && e.$metadata.httpStatusCode === 400,
    );
    const ok = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: "ssec", ObjectAttributes: ["ObjectSize"], ...sse }));
    assert.equal(ok.ObjectSize, 6);
  });

  it("refuses x-amz-server-side-encryption on GET and HEAD with 400 InvalidArgument (only SSE-C keys are sent to read)", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "sse-read", Body: "data", ServerSideEncryption: "AES256" }));
    for (const value of ["AES256", "aws:kms"]) {
      const get = await rawS3(stratus, "GET", `/${bucket}/sse-read`, { headers: { "x-amz-server-side-encryption": value } });
      assert.equal(get.status, 400, get.body);
      assert.match(get.body, /<Code>InvalidArgument<\/Code>/);
      assert.match(get.body, /<ArgumentName>x-amz-server-side-encryption<\/ArgumentName>/);
      const head = await rawS3(stratus, "HEAD", `/${bucket}/sse-read`, { headers: { "x-amz-server-side-encryption": value } });
      assert.equal(head.status, 400);
    }
    const plain = await rawS3(stratus, "GET", `/${bucket}/sse-read`);
    assert.equal(plain.body, "data");
  });

  it("ignores an Expect header other than 100-continue, as S3 does", async () => {
    for (const expect of ["200", ""]) {
      const response = await rawS3(stratus, "PUT", `/${bucket}/expect`, { body: "bar", headers: { expect } });
      assert.equal(response.status, 200, `Expect: ${expect} → ${response.status} ${response.body}`);
    }
  });
});
