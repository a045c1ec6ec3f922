/**
 * The one place that mints resource ids and builds ARNs, so that every id has
 * AWS's real shape (vol- + 17 hex, AROA + 17 base32 characters, ...).
 */
import { randomBytes, randomUUID } from "node:crypto";

const HEX = "0123456789abcdef";
const IAM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function randomFrom(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
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

export function requestId(): string {
  return randomUUID();
}

export function uuid(): string {
  return randomUUID();
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
  return randomBytes(30).toString("base64").replace(/[+/=]/g, "x").slice(0, 40);
}

export function sessionToken(): string {
  return "FwoGZXIvYXdzE" + randomBytes(120).toString("base64");
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
