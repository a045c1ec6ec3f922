/**
 * Browser POST uploads (PostObject): forms from boto3's generate_presigned_post
 * (SigV4) posted with python requests, and hand-built SigV2 policy forms posted
 * with Node's fetch/FormData, against a strict-auth Stratus.
 */
import assert from "node:assert/strict";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { boto3, CREDENTIALS, hasBoto3, startTestStratus } from "../support/stratus.js";
import { bodyBytes, bucketName, isError, s3Client } from "./support.js";

interface PolicyForm {
  conditions: unknown[];
  fields: Record<string, string>;
  file: Buffer | string;
  filename?: string;
  expiration?: string;
  secret?: string;
  accessKeyId?: string;
}

describe("S3 browser POST uploads (PostObject)", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  let bucket: string;
  before(async () => {
    stratus = await startTestStratus({ auth: "strict", credentials: [CREDENTIALS] });
    s3 = s3Client(stratus);
    bucket = bucketName("post");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(() => stratus.stop());

  /** A SigV2-signed policy form (base64 policy, HMAC-SHA1 signature), posted with fetch. */
  async function postV2(form: PolicyForm, target = bucket): Promise<Response> {
    const expiration = form.expiration ?? new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
    const policy = Buffer.from(JSON.stringify({ expiration, conditions: form.conditions })).toString("base64");
    const signature = createHmac("sha1", form.secret ?? CREDENTIALS.secretAccessKey).update(policy).digest("base64");
    const data = new FormData();
    data.append("AWSAccessKeyId", form.accessKeyId ?? CREDENTIALS.accessKeyId);
    data.append("policy", policy);
    data.append("signature", signature);
    for (const [name, value] of Object.entries(form.fields)) data.append(name, value);
    data.append("file", new Blob([typeof form.file === "string" ? form.file : new Uint8Array(form.file)]), form.filename ?? "upload.bin");
    return fetch(`${stratus.endpoint}/${target}`, { method: "POST", body: data, redirect: "manual" });
  }

  async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
    const text = await response.text();
    const message = (/<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? "").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");
    return { status: response.status, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? "", message };
  }

  it("uploads a form from boto3's generate_presigned_post (SigV4), with metadata, content type and a 201 PostResponse", { skip: !hasBoto3() }, async () => {
    const out = await boto3(
      stratus,
      `
import requests
s3 = client("s3")
# SigV4 form fields (x-amz-algorithm, x-amz-credential, x-amz-date, x-amz-signature).
v4 = boto3.client("s3", endpoint_url=${JSON.stringify(stratus.endpoint)}, region_name="us-east-1", aws_access_key_id="${CREDENTIALS.accessKeyId}",
    aws_secret_access_key="${CREDENTIALS.secretAccessKey}", config=Config(signature_version="s3v4"))
post = v4.generate_presigned_post(${JSON.stringify(bucket)}, "uploads/\${filename}",
    Fields={"Content-Type": "text/plain", "x-amz-meta-team": "ml", "success_action_status": "201"},
    Conditions=[{"Content-Type": "text/plain"}, ["starts-with", "$x-amz-meta-team", ""], {"success_action_status": "201"}, ["content-length-range", 1, 1000]],
    ExpiresIn=600)
r = requests.post(post["url"], data=post["fields"], files={"file": ("notes.txt", b"hello from a browser")})
out["algorithm"] = post["fields"].get("x-amz-algorithm")
out["status"] = r.status_code
out["body"] = r.text
out["etag"] = r.headers.get("ETag")
head = s3.head_object(Bucket=${JSON.stringify(bucket)}, Key="uploads/notes.txt")
out["contentType"] = head["ContentType"]
out["metadata"] = head["Metadata"]
out["headEtag"] = head["ETag"]
bad = dict(post["fields"])
bad["x-amz-signature"] = "0" * 64
r = requests.post(post["url"], data=bad, files={"file": ("notes.txt", b"x")})
out["badStatus"] = r.status_code
out["badBody"] = r.text
`,
    );
    assert.equal(out.algorithm, "AWS4-HMAC-SHA256");
    assert.equal(out.status, 201, out.body);
    assert.match(out.body, /<PostResponse><Location>[^<]*\/uploads\/notes\.txt<\/Location><Bucket>[^<]+<\/Bucket><Key>uploads\/notes\.txt<\/Key><ETag>&quot;[0-9a-f]{32}&quot;<\/ETag><\/PostResponse>/);
    assert.equal(out.contentType, "text/plain");
    assert.deepEqual(out.metadata, { team: "ml" });
    assert.equal(out.etag, out.headEtag);
    assert.equal(out.badStatus, 403);
    assert.match(out.badBody, /<Code>SignatureDoesNotMatch<\/Code>/);
  });

  it("streams a multi-megabyte file byte for byte (delimiter-like bytes included) and answers 204", async () => {
    const file = Buffer.concat([randomBytes(1 << 20), Buffer.from("\r\n--not-the-boundary\r\n"), randomBytes(2 << 20)]);
    const response = await postV2({ conditions: [{ bucket }, ["starts-with", "$key", "big/"]], fields: { key: "big/blob.bin" }, file });
    assert.equal(response.status, 204, await response.text());
    assert.equal(response.headers.get("etag"), `"${createHash("md5").update(file).digest("hex")}"`);
    assert.match(response.headers.get("location") ?? "", /\/big\/blob\.bin$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "big/blob.bin" }));
    assert.ok((await bodyBytes(got.Body)).equals(file));
    assert.equal(got.ContentType, "binary/octet-stream");
  });

  it("takes the key from ${filename}, the tagging document and case-insensitive field and condition names", async () => {
    const tagging = "<Tagging><TagSet><Tag><Key>stage</Key><Value>raw data</Value></Tag></TagSet></Tagging>";
    const response = await postV2({
      conditions: [{ bUcKeT: bucket }, ["StArTs-WiTh", "$KeY", "in/"], ["eq", "$tagging", tagging], { "Content-Type": "text/csv" }],
      fields: { kEy: "in/${filename}", tagging, "Content-Type": "text/csv", "x-ignore-note": "anything" },
      file: "a,b\n1,2\n",
      filename: "rows.csv",
    });
    assert.equal(response.status, 204, await response.text());
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "in/rows.csv" }));
    assert.deepEqual(tags.TagSet, [{ Key: "stage", Value: "raw data" }]);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "in/rows.csv" }));
    assert.equal(head.ContentType, "text/csv");
  });

  it("refuses forms the policy does not allow, with S3's codes", async () => {
    const base = { conditions: [{ bucket }, ["starts-with", "$key", "ok/"]], fields: { key: "ok/x" }, file: "x" };
    const cases: Array<[PolicyForm, number, string, RegExp?]> = [
      [{ ...base, secret: "wrong" }, 403, "SignatureDoesNotMatch"],
      [{ ...base, accessKeyId: "AKIAUNKNOWNKEY000000" }, 403, "InvalidAccessKeyId"],
      [{ ...base, expiration: "2001-01-01T00:00:00Z" }, 403, "AccessDenied", /Policy expired/],
      [{ ...base, fields: { key: "elsewhere/x" } }, 403, "AccessDenied", /Policy Condition failed: \["starts-with","\$key","ok\/"\]/],
      [{ ...base, fields: { key: "ok/x", "x-amz-meta-extra": "1" } }, 403, "AccessDenied", /Extra input fields: x-amz-meta-extra/],
      [{ ...base, conditions: [...base.conditions, ["starts-with", "$x-amz-meta-required", "v"]] }, 403, "AccessDenied", /Policy Condition failed/],
      [{ ...base, conditions: [...base.conditions, ["content-length-range", 0, 0]] }, 400, "EntityTooLarge"],
      [{ ...base, conditions: [...base.conditions, ["content-length-range", 10, 20]] }, 400, "EntityTooSmall"],
      [{ ...base, conditions: [...base.conditions, ["content-length-range", 10]] }, 400, "InvalidPolicyDocument"],
      [{ ...base, conditions: [...base.conditions, {}] }, 400, "InvalidPolicyDocument"],
      [{ ...base, expiration: "tomorrow" }, 400, "InvalidPolicyDocument", /Invalid 'expiration' value/],
      [{ ...base, fields: {} }, 400, "InvalidArgument", /field named 'key'/],
    ];
    for (const [form, status, code, message] of cases) {
      const error = await errorOf(await postV2(form));
      assert.equal(error.status, status, `${JSON.stringify(form.fields)} ${JSON.stringify(form.conditions)}: ${error.code} ${error.message}`);
      assert.equal(error.code, code);
      if (message) assert.match(error.message, message);
    }
    // The bucket condition is the bucket posted to, not a form field.
    const other = bucketName("post-other");
    await s3.send(new CreateBucketCommand({ Bucket: other }));
    assert.equal((await errorOf(await postV2(base, other))).status, 403);
    // Nothing refused was stored.
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "ok/x" })), isError("NotFound", 404));
  });

  it("answers anonymous forms by the bucket's access, and non-form POSTs with 412", async () => {
    const data = new FormData();
    data.append("key", "anon.txt");
    data.append("file", new Blob(["x"]), "anon.txt");
    const anonymous = await errorOf(await fetch(`${stratus.endpoint}/${bucket}`, { method: "POST", body: data }));
    assert.deepEqual([anonymous.status, anonymous.code], [403, "AccessDenied"]);
    const plain = await errorOf(await fetch(`${stratus.endpoint}/${bucket}`, { method: "POST", body: "key=x", headers: { "content-type": "text/plain" } }));
    assert.deepEqual([plain.status, plain.code], [412, "PreconditionFailed"]);
    const noFile = new FormData();
    noFile.append("key", "x");
    const missing = await errorOf(await fetch(`${stratus.endpoint}/${bucket}`, { method: "POST", body: noFile }));
    assert.deepEqual([missing.status, missing.code], [400, "InvalidArgument"]);
  });

  it("redirects to success_action_redirect with bucket, key and ETag", async () => {
    const redirect = "http://example.com/done";
    const response = await postV2({
      conditions: [{ bucket }, ["starts-with", "$key", ""], ["eq", "$success_action_redirect", redirect]],
      fields: { key: "r.txt", success_action_redirect: redirect },
      file: "r",
    });
    assert.equal(response.status, 303);
    const etag = createHash("md5").update("r").digest("hex");
    assert.equal(response.headers.get("location"), `${redirect}?bucket=${bucket}&key=r.txt&etag=%22${etag}%22`);
  });
});
