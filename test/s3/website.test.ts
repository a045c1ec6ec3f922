/** Static website hosting: configuration with S3's validation, and the website endpoint serving it. */
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import {
  CreateBucketCommand,
  DeleteBucketWebsiteCommand,
  DeletePublicAccessBlockCommand,
  GetBucketWebsiteCommand,
  PutBucketPolicyCommand,
  PutBucketWebsiteCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, startTestStratus } from "../support/stratus.js";
import { bucketName, isError, s3Client } from "./support.js";

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe("S3 static website hosting", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  let port: number;

  before(async () => {
    stratus = await startTestStratus();
    s3 = s3Client(stratus);
    port = Number(new URL(stratus.endpoint).port);
  });
  after(() => stratus.stop());

  /** An unsigned request to the website endpoint of `bucket`, as a browser sends it. */
  function site(bucket: string, path: string, options: { method?: string; form?: "dash" | "dot"; headers?: Record<string, string> } = {}): Promise<Answer> {
    const host = options.form === "dot" ? `${bucket}.s3-website.us-east-1.localhost:${port}` : `${bucket}.s3-website-us-east-1.localhost:${port}`;
    return new Promise((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: { ...options.headers, host } }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on("error", reject);
      req.end();
    });
  }

  async function publicBucket(): Promise<string> {
    const bucket = bucketName("site");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` }] }),
      }),
    );
    const put = (Key: string, Body: string, extra: Record<string, string> = {}) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ContentType: "text/html", ...extra }));
    await put("index.html", "<h1>home</h1>");
    await put("docs/index.html", "<h1>docs</h1>");
    await put("404.html", "<h1>lost</h1>");
    await put("old.html", "", { WebsiteRedirectLocation: "/new.html" });
    return bucket;
  }

  it("validates the configuration and round-trips it; Get answers NoSuchWebsiteConfiguration without one", async () => {
    const bucket = bucketName("cfg");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await assert.rejects(s3.send(new GetBucketWebsiteCommand({ Bucket: bucket })), isError("NoSuchWebsiteConfiguration", 404));
    const put = (WebsiteConfiguration: any) => s3.send(new PutBucketWebsiteCommand({ Bucket: bucket, WebsiteConfiguration }));
    await assert.rejects(put({ ErrorDocument: { Key: "e.html" } }), isError("InvalidArgument", 400));
    await assert.rejects(put({ IndexDocument: { Suffix: "a/b.html" } }), isError("InvalidArgument", 400));
    await assert.rejects(put({ RedirectAllRequestsTo: { HostName: "example.com" }, IndexDocument: { Suffix: "index.html" } }), isError("InvalidArgument", 400));
    await assert.rejects(
      put({ IndexDocument: { Suffix: "index.html" }, RoutingRules: [{ Redirect: { ReplaceKeyWith: "a", ReplaceKeyPrefixWith: "b" } }] }),
      isError("InvalidArgument", 400),
    );
    await assert.rejects(put({ IndexDocument: { Suffix: "index.html" }, RoutingRules: [{ Redirect: { HttpRedirectCode: "200" } }] }), isError("InvalidArgument", 400));
    const config = {
      IndexDocument: { Suffix: "index.html" },
      ErrorDocument: { Key: "404.html" },
      RoutingRules: [{ Condition: { KeyPrefixEquals: "old/" }, Redirect: { ReplaceKeyPrefixWith: "new/", HttpRedirectCode: "302" } }],
    };
    await put(config);
    const got = await s3.send(new GetBucketWebsiteCommand({ Bucket: bucket }));
    assert.deepEqual({ IndexDocument: got.IndexDocument, ErrorDocument: got.ErrorDocument, RoutingRules: got.RoutingRules }, config);
    await s3.send(new DeleteBucketWebsiteCommand({ Bucket: bucket }));
    await assert.rejects(s3.send(new GetBucketWebsiteCommand({ Bucket: bucket })), isError("NoSuchWebsiteConfiguration", 404));
  });

  it("serves index and error documents, folder redirects and per-object redirects on the website endpoint", async () => {
    const bucket = await publicBucket();
    const noConfig = await site(bucket, "/");
    assert.equal(noConfig.status, 404);
    assert.match(noConfig.body, /<li>Code: NoSuchWebsiteConfiguration<\/li>/);
    const cli = await awsCli(stratus, ["s3", "website", `s3://${bucket}`, "--index-document", "index.html", "--error-document", "404.html"]);
    assert.equal(cli.code, 0, cli.stderr);
    const home = await site(bucket, "/");
    assert.equal(home.status, 200);
    assert.equal(home.body, "<h1>home</h1>");
    assert.equal(home.headers["content-type"], "text/html");
    assert.equal((await site(bucket, "/docs/", { form: "dot" })).body, "<h1>docs</h1>");
    const folder = await site(bucket, "/docs");
    assert.equal(folder.status, 302);
    assert.equal(folder.headers.location, "/docs/");
    const missing = await site(bucket, "/nowhere.html");
    assert.equal(missing.status, 404);
    assert.equal(missing.body, "<h1>lost</h1>");
    const moved = await site(bucket, "/old.html");
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.location, "/new.html");
    const head = await site(bucket, "/index.html", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers["content-length"], String("<h1>home</h1>".length));
    const cached = await site(bucket, "/", { headers: { "if-none-match": home.headers.etag! } });
    assert.equal(cached.status, 304);
    const part = await site(bucket, "/index.html", { headers: { range: "bytes=4-7" } });
    assert.equal(part.status, 206);
    assert.equal(part.body, "home");
    assert.equal(part.headers["content-range"], `bytes 4-7/${"<h1>home</h1>".length}`);
    const post = await site(bucket, "/index.html", { method: "DELETE" });
    assert.equal(post.status, 405);
    assert.match(post.headers["content-type"] ?? "", /text\/html/);
  });

  it("routing rules and redirect-all; private content answers 403 AccessDenied as an HTML page", async () => {
    const bucket = await publicBucket();
    await s3.send(
      new PutBucketWebsiteCommand({
        Bucket: bucket,
        WebsiteConfiguration: {
          IndexDocument: { Suffix: "index.html" },
          RoutingRules: [
            { Condition: { KeyPrefixEquals: "old/" }, Redirect: { ReplaceKeyPrefixWith: "new/", HttpRedirectCode: "302" } },
            { Condition: { HttpErrorCodeReturnedEquals: "404" }, Redirect: { HostName: "fallback.example.com", ReplaceKeyWith: "sorry.html" } },
          ],
        },
      }),
    );
    const prefixed = await site(bucket, "/old/page.html");
    assert.equal(prefixed.status, 302);
    assert.match(prefixed.headers.location ?? "", /^http:\/\/.+\/new\/page\.html$/);
    const onError = await site(bucket, "/gone.html");
    assert.equal(onError.status, 301);
    assert.equal(onError.headers.location, "http://fallback.example.com/sorry.html");

    const privateBucket = bucketName("private");
    await s3.send(new CreateBucketCommand({ Bucket: privateBucket }));
    await s3.send(new PutObjectCommand({ Bucket: privateBucket, Key: "index.html", Body: "secret" }));
    await s3.send(new PutBucketWebsiteCommand({ Bucket: privateBucket, WebsiteConfiguration: { IndexDocument: { Suffix: "index.html" } } }));
    const denied = await site(privateBucket, "/");
    assert.equal(denied.status, 403);
    assert.match(denied.body, /<li>Code: AccessDenied<\/li>/);

    const redirectAll = bucketName("redir");
    await s3.send(new CreateBucketCommand({ Bucket: redirectAll }));
    await s3.send(new PutBucketWebsiteCommand({ Bucket: redirectAll, WebsiteConfiguration: { RedirectAllRequestsTo: { HostName: "www.example.com", Protocol: "https" } } }));
    const all = await site(redirectAll, "/a/b.html");
    assert.equal(all.status, 301);
    assert.equal(all.headers.location, "https://www.example.com/a/b.html");
    const gone = await site(bucketName("absent"), "/");
    assert.equal(gone.status, 404);
    assert.match(gone.body, /NoSuchBucket/);
  });
});
