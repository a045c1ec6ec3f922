/**
 * Test support for the inference server: a Stratus that checks signatures
 * (so the server's SigV4 is verified), the model upload as the exercise does
 * it, /predict requests as multipart forms, and an instance metadata stand-in.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { startWorkload, type RunningWorkload, type WorkloadOptions } from "../../src/workload/server.js";
import { startTestStratus } from "../support/stratus.js";

export const KEYS = { accessKeyId: "AKIAWORKLOADTEST0001", secretAccessKey: "workload-secret-0123456789abcdefghijklmn" };
export const MODEL_KEY = "models/v1.0/resnet50.pth";
/** The exercise's `aws s3 cp ... --metadata model_version=1.0,framework=pytorch,accuracy=0.95`. */
export const EXERCISE_METADATA = { model_version: "1.0", framework: "pytorch", accuracy: "0.95" };

export interface Cloud {
  stratus: RunningStratus;
  s3: S3Client;
  bucket: string;
  put(key: string, body: Buffer | string, metadata?: Record<string, string>): Promise<void>;
  remove(key: string): Promise<void>;
  /** Options for a server reading s3://bucket/models/v1.0/resnet50.pth with the test keys. */
  serverOptions(overrides?: Partial<WorkloadOptions>): WorkloadOptions;
}

export async function startCloud(bucket = "ml-models-dev"): Promise<Cloud> {
  const stratus = await startTestStratus({ auth: "strict", credentials: [KEYS] });
  const s3 = new S3Client({ endpoint: stratus.endpoint, region: "us-east-1", credentials: KEYS, forcePathStyle: true, maxAttempts: 1 });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    stratus,
    s3,
    bucket,
    async put(key, body, metadata) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, Metadata: metadata, StorageClass: "STANDARD" }));
    },
    async remove(key) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    serverOptions(overrides = {}) {
      return {
        host: "127.0.0.1",
        port: 0,
        bucket,
        key: MODEL_KEY,
        endpoint: stratus.endpoint,
        region: "us-east-1",
        credentials: KEYS,
        reloadSeconds: 0,
        ...overrides,
      };
    },
  };
}

export { startWorkload, type RunningWorkload };

export interface Answer {
  status: number;
  body: any;
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

export async function getJson(url: string): Promise<Answer> {
  return answer(await fetch(url));
}

export async function post(url: string, body?: BodyInit, headers?: Record<string, string>): Promise<Answer> {
  return answer(await fetch(url, { method: "POST", body, headers }));
}

/** POST /predict with the image as the multipart field `image` (fetch writes the form). */
export async function predict(server: RunningWorkload, image: Buffer, type = "image/png", field = "image"): Promise<Answer> {
  const form = new FormData();
  form.append("note", "a field before the image");
  form.append(field, new Blob([new Uint8Array(image)], { type }), "picture");
  return post(`${server.url}/predict`, form);
}

export async function reload(server: RunningWorkload): Promise<Answer> {
  return post(`${server.url}/reload`);
}

/** Polls `check` until it returns true (the server loads on its own timer); fails after `seconds`. */
export async function eventually(check: () => Promise<boolean>, seconds = 20): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("the condition did not come true in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface ImdsStandIn {
  url: string;
  /** "METHOD path token-header" of each request. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * An instance metadata service answering for one role: IMDSv2 (a token from
 * PUT /latest/api/token, required after) unless `v1Only`, where the PUT is
 * refused with 403 and tokenless GETs are served.
 */
export async function startImds(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, options: { v1Only?: boolean } = {}): Promise<ImdsStandIn> {
  const token = "imds-token-0123456789";
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    const given = request.headers["x-aws-ec2-metadata-token"];
    requests.push(`${request.method} ${request.url} ${given ?? "-"}`);
    const send = (status: number, body: string) => {
      response.writeHead(status, { "content-type": "text/plain" });
      response.end(body);
    };
    if (request.method === "PUT" && request.url === "/latest/api/token") {
      if (options.v1Only) return send(403, "");
      if (!request.headers["x-aws-ec2-metadata-token-ttl-seconds"]) return send(400, "missing TTL");
      return send(200, token);
    }
    if (!options.v1Only && given !== token) return send(401, "");
    if (request.url === "/latest/meta-data/iam/security-credentials/") return send(200, "ml-inference-role");
    if (request.url === "/latest/meta-data/iam/security-credentials/ml-inference-role") {
      return send(
        200,
        JSON.stringify({
          Code: "Success",
          LastUpdated: new Date().toISOString(),
          Type: "AWS-HMAC",
          AccessKeyId: credentials.accessKeyId,
          SecretAccessKey: credentials.secretAccessKey,
          Token: credentials.sessionToken,
          Expiration: new Date(Date.now() + 3600_000).toISOString(),
        }),
      );
    }
    send(404, "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
