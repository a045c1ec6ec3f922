import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  PutBucketCorsCommand,
  GetBucketCorsCommand,
  DeleteBucketCorsCommand,
  PutBucketTaggingCommand,
  GetBucketTaggingCommand,
  DeleteBucketTaggingCommand,
  DeleteBucketCommand,
  CreateBucketCommand as Recreate,
} from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";

function rejectsWith(code: string, status: number) {
  return (error: any) => {
    assert.equal(error.name, code, `${error.name}: ${error.message}`);
    assert.equal(error.$metadata?.httpStatusCode, status);
    return true;
  };
}

describe("S3 CORS", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  before(async () => {
    stratus = await startTestStratus();
    s3 = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "web" }));
    await s3.send(new PutObjectCommand({ Bucket: "web", Key: "app.js", Body: "console.log(1)" }));
  });
  after(() => stratus.stop());

  const preflight = (origin: string | undefined, method: string, headers?: string) =>
    fetch(`${stratus.endpoint}/web/app.js`, {
      method: "OPTIONS",
      headers: { ...(origin ? { Origin: origin } : {}), "Access-Control-Request-Method": method, ...(headers ? { "Access-Control-Request-Headers": headers } : {}) },
    });

  it("answers preflights with 403 until CORS is configured", async () => {
    const res = await preflight("https://app.example.com", "GET");
    assert.equal(res.status, 403);
    assert.match(await res.text(), /CORS is not enabled for this bucket/);
    await assert.rejects(s3.send(new GetBucketCorsCommand({ Bucket: "web" })), rejectsWith("NoSuchCORSConfiguration", 404));
  });

  it("validates rules like S3", async () => {
    await assert.rejects(
      s3.send(new PutBucketCorsCommand({ Bucket: "web", CORSConfiguration: { CORSRules: [{ AllowedMethods: ["PATCH"], AllowedOrigins: ["*"] }] } })),
      (e: any) => e.name === "InvalidRequest" && /Unsupported method is PATCH/.test(e.message),
    );
    await assert.rejects(
      s3.send(new PutBucketCorsCommand({ Bucket: "web", CORSConfiguration: { CORSRules: [{ AllowedMethods: ["GET"], AllowedOrigins: ["https://*.*.com"] }] } })),
      (e: any) => e.name === "InvalidRequest" && /can not have more than one wildcard/.test(e.message),
    );
  });

  it("honours preflights and adds Access-Control-* headers to actual requests", async () => {
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: "web",
        CORSConfiguration: {
          CORSRules: [
            { AllowedOrigins: ["https://app.example.com"], AllowedMethods: ["GET", "PUT"], AllowedHeaders: ["x-amz-*", "content-type"], ExposeHeaders: ["ETag"], MaxAgeSeconds: 3000 },
            { AllowedOrigins: ["*"], AllowedMethods: ["GET"] },
          ],
        },
      }),
    );
    const rules = await s3.send(new GetBucketCorsCommand({ Bucket: "web" }));
    assert.equal(rules.CORSRules!.length, 2);
    const ok = await preflight("https://app.example.com", "PUT", "Content-Type, x-amz-meta-a");
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("access-control-allow-origin"), "https://app.example.com");
    assert.equal(ok.headers.get("access-control-allow-methods"), "GET, PUT");
    assert.equal(ok.headers.get("access-control-allow-headers"), "Content-Type, x-amz-meta-a");
    assert.equal(ok.headers.get("access-control-max-age"), "3000");
    assert.equal(ok.headers.get("access-control-expose-headers"), "ETag");
    assert.equal(ok.headers.get("access-control-allow-credentials"), "true");
    const any = await preflight("https://elsewhere.example.org", "GET");
    assert.equal(any.status, 200);
    assert.equal(any.headers.get("access-control-allow-origin"), "*");
    const refused = await preflight("https://elsewhere.example.org", "PUT");
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /This CORS request is not allowed/);
    assert.equal((await preflight("https://app.example.com", "PUT", "x-forbidden")).status, 403);
    assert.equal((await preflight(undefined, "GET")).status, 400);
    // An actual (signed) request with an Origin gets the headers too.
    const withOrigin = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
    let seen: Record<string, string> = {};
    withOrigin.middlewareStack.add((next) => async (args: any) => {
      args.request.headers["origin"] = "https://app.example.com";
      const out: any = await next(args);
      seen = out.response.headers;
      return out;
    }, { step: "build" });
    await withOrigin.send(new GetBucketCorsCommand({ Bucket: "web" }));
    assert.equal(seen["access-control-allow-origin"], "https://app.example.com");
    await s3.send(new DeleteBucketCorsCommand({ Bucket: "web" }));
    assert.equal((await preflight("https://app.example.com", "GET")).status, 403);
  });
});

describe("S3 bucket tagging", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  before(async () => {
    stratus = await startTestStratus();
    s3 = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "tagged" }));
  });
  after(() => stratus.stop());

  it("puts, gets and deletes bucket tags with S3's rules", async () => {
    await assert.rejects(s3.send(new GetBucketTaggingCommand({ Bucket: "tagged" })), rejectsWith("NoSuchTagSet", 404));
    await s3.send(new PutBucketTaggingCommand({ Bucket: "tagged", Tagging: { TagSet: [{ Key: "Project", Value: "ml-infrastructure" }, { Key: "Environment", Value: "dev" }] } }));
    const got = await s3.send(new GetBucketTaggingCommand({ Bucket: "tagged" }));
    assert.deepEqual(got.TagSet, [{ Key: "Project", Value: "ml-infrastructure" }, { Key: "Environment", Value: "dev" }]);
    await assert.rejects(s3.send(new PutBucketTaggingCommand({ Bucket: "tagged", Tagging: { TagSet: [{ Key: "a", Value: "1" }, { Key: "a", Value: "2" }] } })), rejectsWith("InvalidTag", 400));
    await assert.rejects(s3.send(new PutBucketTaggingCommand({ Bucket: "tagged", Tagging: { TagSet: [{ Key: "aws:x", Value: "1" }] } })), rejectsWith("InvalidTag", 400));
    const cli = await awsCli(stratus, ["s3api", "get-bucket-tagging", "--bucket", "tagged", "--query", "TagSet[0].Value", "--output", "text"]);
    assert.equal(cli.stdout.trim(), "ml-infrastructure");
    await s3.send(new DeleteBucketTaggingCommand({ Bucket: "tagged" }));
    await assert.rejects(s3.send(new GetBucketTaggingCommand({ Bucket: "tagged" })), rejectsWith("NoSuchTagSet", 404));
  });

  it("forgets a deleted bucket's configuration", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "ephemeral" }));
    await s3.send(new PutBucketTaggingCommand({ Bucket: "ephemeral", Tagging: { TagSet: [{ Key: "a", Value: "1" }] } }));
    await s3.send(new DeleteBucketCommand({ Bucket: "ephemeral" }));
    await s3.send(new Recreate({ Bucket: "ephemeral" }));
    await assert.rejects(s3.send(new GetBucketTaggingCommand({ Bucket: "ephemeral" })), rejectsWith("NoSuchTagSet", 404));
  });
});
