/**
 * Who is calling: account and principal from the access key, and the secret
 * to verify a signature with in strict mode. Keys issued by STS are stored
 * (they outlive a restart, as on AWS until they expire).
 */
import { readFileSync } from "node:fs";
import type { Credential } from "../config.js";
import type { DocumentStore, ScopedCollection } from "../state/documents.js";
import { DEFAULT_ACCOUNT } from "./ids.js";

export interface IssuedCredential {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  account: string;
  /** The principal these credentials act as (an assumed-role session ARN, a user ARN...). */
  principalArn: string;
  /** What GetCallerIdentity answers as UserId ("AROA...:session" for an assumed role). */
  userId: string;
  /** Epoch ms; undefined for long-term keys. */
  expiration?: number;
}

export interface Caller {
  accessKeyId: string;
  account: string;
  principalArn: string;
  userId: string;
}

export class IdentityStore {
  private readonly configured = new Map<string, Credential>();
  private readonly issued: ScopedCollection<IssuedCredential>;

  constructor(documents: DocumentStore, credentials: Credential[], credentialsFile?: string) {
    this.issued = documents.collection<IssuedCredential>("identity", "credentials").scope({ account: "global", region: "global" });
    for (const credential of credentials) this.configured.set(credential.accessKeyId, credential);
    if (credentialsFile) for (const credential of readCredentialsFile(credentialsFile)) this.configured.set(credential.accessKeyId, credential);
    const envKey = process.env.STRATUS_ACCESS_KEY_ID;
    const envSecret = process.env.STRATUS_SECRET_ACCESS_KEY;
    if (envKey && envSecret) this.configured.set(envKey, { accessKeyId: envKey, secretAccessKey: envSecret, account: process.env.STRATUS_ACCOUNT_ID });
  }

  /** Account id: issued keys know theirs; a 12-digit key id is that account; else the default. */
  accountFor(accessKeyId: string): string {
    const issued = this.issued.get(accessKeyId);
    if (issued) return issued.account;
    const configured = this.configured.get(accessKeyId)?.account;
    if (configured) return configured;
    if (/^\d{12}$/.test(accessKeyId)) return accessKeyId;
    return DEFAULT_ACCOUNT;
  }

  caller(accessKeyId: string): Caller {
    const issued = this.issued.get(accessKeyId);
    const account = this.accountFor(accessKeyId);
    if (issued) {
      return { accessKeyId, account, principalArn: issued.principalArn, userId: issued.userId };
    }
    return { accessKeyId, account, principalArn: `arn:aws:iam::${account}:root`, userId: account };
  }

  /** What strict mode checks a signature against; undefined for an unknown key. */
  verifier(accessKeyId: string): { secretAccessKey: string; sessionToken?: string; expiration?: number } | undefined {
    const issued = this.issued.get(accessKeyId);
    if (issued) return { secretAccessKey: issued.secretAccessKey, sessionToken: issued.sessionToken, expiration: issued.expiration };
    const configured = this.configured.get(accessKeyId);
    return configured ? { secretAccessKey: configured.secretAccessKey } : undefined;
  }

  /** How many credentials strict mode knows of (configured and issued). */
  get knownCount(): number {
    return this.configured.size + this.issued.size;
  }

  /** The secret for strict-mode verification, or undefined when the key is unknown or expired. */
  secretFor(accessKeyId: string, now: number): string | undefined {
    const issued = this.issued.get(accessKeyId);
    if (issued) return issued.expiration !== undefined && issued.expiration < now ? undefined : issued.secretAccessKey;
    return this.configured.get(accessKeyId)?.secretAccessKey;
  }

  isExpired(accessKeyId: string, now: number): boolean {
    const issued = this.issued.get(accessKeyId);
    return !!issued && issued.expiration !== undefined && issued.expiration < now;
  }

  issue(credential: IssuedCredential): void {
    this.issued.put(credential.accessKeyId, credential);
  }

  revoke(accessKeyId: string): void {
    this.issued.delete(accessKeyId);
  }
}

/** Reads an AWS-style INI credentials file: [profile] aws_access_key_id / aws_secret_access_key / account_id. */
export function readCredentialsFile(file: string): Credential[] {
  const out: Credential[] = [];
  let current: Partial<Credential> = {};
  const flush = () => {
    if (current.accessKeyId && current.secretAccessKey) out.push(current as Credential);
    current = {};
  };
  for (const raw of readFileSync(file, "utf8").split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    if (line.startsWith("[")) {
      flush();
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (key === "aws_access_key_id") current.accessKeyId = value;
    else if (key === "aws_secret_access_key") current.secretAccessKey = value;
    else if (key === "account_id" || key === "aws_account_id") current.account = value;
  }
  flush();
  return out;
}
