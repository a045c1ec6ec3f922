/** S3's rules for names and values that arrive in requests. */
import { crypto } from "../../core/crypto.js";
import { S3Errors } from "./errors.js";
import type { SseRequest } from "./hooks.js";

/** General-purpose bucket naming rules. */
export function isValidBucketName(name: string): boolean {
  if (name.length < 3 || name.length > 63) return false;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return false;
  if (name.includes("..") || name.includes(".-") || name.includes("-.")) return false;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return false;
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return false;
  if (/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return false;
  return true;
}

export function checkKey(key: string): void {
  const size = Buffer.byteLength(key, "utf8");
  if (size > 1024) throw S3Errors.keyTooLong(size);
}

export const STORAGE_CLASSES = [
  "STANDARD",
  "REDUCED_REDUNDANCY",
  "STANDARD_IA",
  "ONEZONE_IA",
  "INTELLIGENT_TIERING",
  "GLACIER",
  "DEEP_ARCHIVE",
  "GLACIER_IR",
];

/** Storage classes whose objects must be restored before they can be read. */
export const ARCHIVE_CLASSES = new Set(["GLACIER", "DEEP_ARCHIVE"]);

export function storageClassOf(value: string | undefined): string {
  if (value === undefined || value === "") return "STANDARD";
  if (!STORAGE_CLASSES.includes(value)) throw S3Errors.invalidStorageClass(value);
  return value;
}

/** x-amz-tagging (a URL-encoded query string) or a TagSet, validated as S3 does. */
export function parseTaggingHeader(value: string | undefined): Array<{ Key: string; Value: string }> {
  if (value === undefined || value === "") return [];
  const tags: Array<{ Key: string; Value: string }> = [];
  for (const part of value.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const decode = (t: string) => {
      try {
        return decodeURIComponent(t.replace(/\+/g, " "));
      } catch {
        throw S3Errors.invalidArgument("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.", "x-amz-tagging", value);
      }
    };
    tags.push({ Key: decode(eq < 0 ? part : part.slice(0, eq)), Value: decode(eq < 0 ? "" : part.slice(eq + 1)) });
  }
  return checkTags(tags);
}

export function checkTags(tags: Array<{ Key?: string; Value?: string }>): Array<{ Key: string; Value: string }> {
  if (tags.length > 10) throw S3Errors.badRequest("Object tags cannot be greater than 10");
  const seen = new Set<string>();
  for (const tag of tags) {
    const key = tag.Key ?? "";
    const val = tag.Value ?? "";
    if (key.length === 0 || [...key].length > 128) throw S3Errors.invalidTag("The TagKey you have provided is invalid");
    if ([...val].length > 256) throw S3Errors.invalidTag("The TagValue you have provided is invalid");
    if (key.startsWith("aws:")) throw S3Errors.invalidTag("Your TagKey cannot be prefixed with aws:");
    if (seen.has(key)) throw S3Errors.invalidTag("Cannot provide multiple Tags with the same key");
    seen.add(key);
  }
  // A tag set has no order of its own; it is kept (and answered) in key order, whatever order it came in.
  return tags.map((t) => ({ Key: t.Key!, Value: t.Value ?? "" })).sort((a, b) => Buffer.compare(Buffer.from(a.Key), Buffer.from(b.Key)));
}

/** The SSE headers of a request, as the encryption hook reads them. */
export function sseOf(input: Record<string, unknown>): SseRequest {
  return {
    ServerSideEncryption: input.ServerSideEncryption as string | undefined,
    SSEKMSKeyId: input.SSEKMSKeyId as string | undefined,
    SSEKMSEncryptionContext: input.SSEKMSEncryptionContext as string | undefined,
    BucketKeyEnabled: input.BucketKeyEnabled as boolean | undefined,
    SSECustomerAlgorithm: input.SSECustomerAlgorithm as string | undefined,
    SSECustomerKey: input.SSECustomerKey as string | undefined,
    SSECustomerKeyMD5: input.SSECustomerKeyMD5 as string | undefined,
  };
}

/** The SSE-C headers that open a copy source. */
export function copySourceSseOf(input: Record<string, unknown>): SseRequest {
  return {
    SSECustomerAlgorithm: input.CopySourceSSECustomerAlgorithm as string | undefined,
    SSECustomerKey: input.CopySourceSSECustomerKey as string | undefined,
    SSECustomerKeyMD5: input.CopySourceSSECustomerKeyMD5 as string | undefined,
  };
}

/** An account's canonical user id (64 hex), as S3 shows owners. */
export function canonicalId(account: string): string {
  return crypto().createHash("sha256").update(`stratus-canonical-user:${account}`).digest("hex");
}

export function ownerOf(account: string): { ID: string; DisplayName: string } {
  return { ID: canonicalId(account), DisplayName: account };
}

/** ETags in listings and responses are quoted. */
export function quoteEtag(hex: string): string {
  return `"${hex}"`;
}
