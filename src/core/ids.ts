/**
 * The one place that mints resource ids and builds ARNs, so that every id has
 * AWS's real shape (vol- + 17 hex, AROA + 17 base32 characters, ...).
 */
import { crypto } from "./crypto.js";

const HEX = "0123456789abcdef";
const IAM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function randomFrom(alphabet: string, length: number): string {
  const bytes = crypto().randomBytes(length);
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[bytes[i] % alphabet.length];
  return out;
}

export function hexId(length: number): string {
  return randomFrom(HEX, length);
}

/** EC2-style id: prefix, dash, 17 lowercase hex characters (vol-0a1b...). */
export function ec2Id(prefix: string, length = 17): string {
  return `${prefix}-${hexId(length)}`;
}

/**
 * Request ids are UUID-shaped but need no cryptographic randomness; Math.random
 * keeps node:crypto out of a request path that needs nothing else from it.
 */
export function requestId(): string {
  let out = "";
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) out += "-";
    else if (i === 14) out += "4";
    else if (i === 19) out += HEX[8 + Math.floor(Math.random() * 4)];
    else out += HEX[Math.floor(Math.random() * 16)];
  }
  return out;
}

export function uuid(): string {
  return crypto().randomUUID();
}

/** IAM unique ids: a four-letter prefix (AROA role, ANPA policy, AIPA profile, AIDA user) + 17. */
export function iamUniqueId(prefix: "AROA" | "ANPA" | "AIPA" | "AIDA" | "AGPA"): string {
  return prefix + randomFrom(IAM_ALPHABET, 17);
}

/** Access key ids: AKIA for long-term keys, ASIA for temporary (STS) keys, 20 characters. */
export function accessKeyId(kind: "AKIA" | "ASIA"): string {
  return kind + randomFrom(IAM_ALPHABET, 16);
}

export function secretAccessKey(): string {
  return crypto().randomBytes(30).toString("base64").replace(/[+/=]/g, "x").slice(0, 40);
}

export function sessionToken(): string {
  return "FwoGZXIvYXdzE" + crypto().randomBytes(120).toString("base64");
}

export function arn(parts: { partition?: string; service: string; region?: string; account?: string; resource: string }): string {
  return `arn:${parts.partition ?? "aws"}:${parts.service}:${parts.region ?? ""}:${parts.account ?? ""}:${parts.resource}`;
}

export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

export function parseArn(value: string): ParsedArn | undefined {
  const parts = value.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  return { partition: parts[1], service: parts[2], region: parts[3], account: parts[4], resource: parts.slice(5).join(":") };
}

export const DEFAULT_ACCOUNT = "000000000000";
export const DEFAULT_REGION = "us-east-1";
