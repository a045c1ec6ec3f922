/** Helpers for the S3 suites: an SDK v3 client on Stratus, unique bucket names, bodies. */
import { S3Client } from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import type { RunningStratus } from "../../src/index.js";
import { sdkConfig } from "../support/stratus.js";

export function s3Client(stratus: RunningStratus, options: { region?: string; credentials?: { accessKeyId: string; secretAccessKey: string } } = {}): S3Client {
  return new S3Client({ ...sdkConfig(stratus, options.region), forcePathStyle: true, ...(options.credentials ? { credentials: options.credentials } : {}) });
}

let counter = 0;
export function bucketName(label = "b"): string {
  return `${label}-${process.pid}-${++counter}-${randomBytes(3).toString("hex")}`;
}

export async function bodyBytes(body: unknown): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as Readable) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** `size` bytes of a seeded pseudo-random pattern: distinct per seed, cheap to make, no long repeats. */
export function pattern(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size + 3);
  for (let i = 0; i < size; i += 4) out.writeUInt32LE((Math.imul(i, 2654435761) + seed) >>> 0, i);
  return out.subarray(0, size);
}

/** Asserts an SDK call fails with an S3 error code and HTTP status. */
export function isError(code: string, status?: number) {
  return (error: any) => {
    if (error?.name !== code && error?.Code !== code) throw new Error(`expected ${code}, got ${error?.name}: ${error?.message}`);
    if (status !== undefined && error.$metadata?.httpStatusCode !== status) throw new Error(`expected status ${status}, got ${error.$metadata?.httpStatusCode}`);
    return true;
  };
}
