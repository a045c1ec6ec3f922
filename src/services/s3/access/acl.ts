/**
 * S3 access control lists: canned ACLs, x-amz-grant-* headers, and which
 * actions each permission allows on a bucket or an object.
 */
import { AwsError } from "../../../core/errors.js";
import type { Grant } from "../../../generated/s3.js";
import { ALL_USERS, AUTHENTICATED_USERS } from "./public.js";

export const LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery";

export interface StoredAcl {
  /** Canonical user id of the owner. */
  ownerId: string;
  ownerName: string;
  grants: Grant[];
}

export const BUCKET_CANNED = ["private", "public-read", "public-read-write", "authenticated-read", "log-delivery-write"];
export const OBJECT_CANNED = ["private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read", "bucket-owner-read", "bucket-owner-full-control"];

function owner(id: string, name: string, permission: string): Grant {
  return { Grantee: { Type: "CanonicalUser", ID: id, DisplayName: name }, Permission: permission as Grant["Permission"] };
}
function group(uri: string, permission: string): Grant {
  return { Grantee: { Type: "Group", URI: uri }, Permission: permission as Grant["Permission"] };
}

/** The grants a canned ACL stands for. */
export function cannedGrants(canned: string, ownerId: string, ownerName: string, bucketOwner?: { id: string; name: string }): Grant[] {
  const grants = [owner(ownerId, ownerName, "FULL_CONTROL")];
  switch (canned) {
    case "private":
      break;
    case "public-read":
      grants.push(group(ALL_USERS, "READ"));
      break;
    case "public-read-write":
      grants.push(group(ALL_USERS, "READ"), group(ALL_USERS, "WRITE"));
      break;
    case "authenticated-read":
      grants.push(group(AUTHENTICATED_USERS, "READ"));
      break;
    case "log-delivery-write":
      grants.push(group(LOG_DELIVERY, "WRITE"), group(LOG_DELIVERY, "READ_ACP"));
      break;
    case "aws-exec-read":
      break;
    case "bucket-owner-read":
      if (bucketOwner && bucketOwner.id !== ownerId) grants.push(owner(bucketOwner.id, bucketOwner.name, "READ"));
      break;
    case "bucket-owner-full-control":
      if (bucketOwner && bucketOwner.id !== ownerId) grants.push(owner(bucketOwner.id, bucketOwner.name, "FULL_CONTROL"));
      break;
    default:
      throw new AwsError("InvalidArgument", "", { status: 400, fields: { ArgumentName: "x-amz-acl", ArgumentValue: canned } });
  }
  return grants;
}

export interface GrantHeaders {
  GrantFullControl?: string;
  GrantRead?: string;
  GrantReadACP?: string;
  GrantWrite?: string;
  GrantWriteACP?: string;
}

const HEADER_PERMISSIONS: Array<[keyof GrantHeaders, string]> = [
  ["GrantFullControl", "FULL_CONTROL"],
  ["GrantRead", "READ"],
  ["GrantReadACP", "READ_ACP"],
  ["GrantWrite", "WRITE"],
  ["GrantWriteACP", "WRITE_ACP"],
];

export function hasGrantHeaders(input: GrantHeaders): boolean {
  return HEADER_PERMISSIONS.some(([field]) => input[field] !== undefined);
}

/** Parses x-amz-grant-* headers: `id="...", uri="...", emailAddress="..."`. */
export function headerGrants(input: GrantHeaders, resolveId: (id: string) => string | undefined): Grant[] {
  const grants: Grant[] = [];
  for (const [field, permission] of HEADER_PERMISSIONS) {
    const value = input[field];
    if (value === undefined) continue;
    for (const part of value.split(",")) {
      const match = /^\s*(id|uri|emailAddress)\s*=\s*"?([^"]*)"?\s*$/i.exec(part);
      if (!match) throw new AwsError("InvalidArgument", "Invalid id", { status: 400, fields: { ArgumentName: field, ArgumentValue: value } });
      const [, type, raw] = match;
      if (type.toLowerCase() === "id") {
        grants.push({ Grantee: { Type: "CanonicalUser", ID: raw, DisplayName: resolveId(raw) }, Permission: permission as Grant["Permission"] });
      } else if (type.toLowerCase() === "uri") {
        if (![ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY].includes(raw)) {
          throw new AwsError("InvalidArgument", "Invalid group uri", { status: 400, fields: { ArgumentName: "uri", ArgumentValue: raw } });
        }
        grants.push(group(raw, permission));
      } else {
        throw new AwsError("UnresolvableGrantByEmailAddress", "The e-mail address you provided does not match any account on record.", { status: 400, fields: { EmailAddress: raw } });
      }
    }
  }
  return grants;
}

/** Checks an AccessControlPolicy body's grants. */
export function checkGrants(grants: Grant[]): void {
  for (const grant of grants) {
    const grantee = grant.Grantee;
    if (!grantee || !grant.Permission) throw malformedAcl();
    if (grantee.Type === "Group" && ![ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY].includes(grantee.URI ?? "")) throw malformedAcl();
    if (grantee.Type === "CanonicalUser" && !grantee.ID) throw malformedAcl();
    if (grantee.Type === "AmazonCustomerByEmail") {
      throw new AwsError("UnresolvableGrantByEmailAddress", "The e-mail address you provided does not match any account on record.", { status: 400 });
    }
  }
}

export function malformedAcl(): AwsError {
  return new AwsError("MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema", { status: 400 });
}

/** Whether grants give everyone only what an owner-only ACL gives (allowed under BucketOwnerEnforced). */
export function isOwnerOnly(grants: Grant[], bucketOwnerId: string): boolean {
  return grants.every((g) => g.Grantee?.Type === "CanonicalUser" && g.Grantee.ID === bucketOwnerId && g.Permission === "FULL_CONTROL");
}

const BUCKET_PERMISSION_ACTIONS: Record<string, string[]> = {
  READ: ["s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"],
  WRITE: ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
  READ_ACP: ["s3:GetBucketAcl"],
  WRITE_ACP: ["s3:PutBucketAcl"],
};
const OBJECT_PERMISSION_ACTIONS: Record<string, string[]> = {
  READ: ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTorrent", "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"],
  READ_ACP: ["s3:GetObjectAcl", "s3:GetObjectVersionAcl"],
  WRITE_ACP: ["s3:PutObjectAcl", "s3:PutObjectVersionAcl"],
};

export interface AclRequester {
  anonymous: boolean;
  canonicalId: string;
}

/** Whether an ACL grants `action` to the requester. */
export function aclAllows(grants: Grant[], requester: AclRequester, action: string, on: "bucket" | "object", ignorePublic: boolean): boolean {
  const table = on === "bucket" ? BUCKET_PERMISSION_ACTIONS : OBJECT_PERMISSION_ACTIONS;
  for (const grant of grants) {
    const grantee = grant.Grantee;
    if (!grantee) continue;
    let matches = false;
    if (grantee.Type === "Group" && grantee.URI === ALL_USERS) matches = !ignorePublic;
    else if (grantee.Type === "Group" && grantee.URI === AUTHENTICATED_USERS) matches = !ignorePublic && !requester.anonymous;
    else if (grantee.Type === "CanonicalUser") matches = !requester.anonymous && grantee.ID === requester.canonicalId;
    if (!matches) continue;
    if (grant.Permission === "FULL_CONTROL") {
      if (Object.values(table).some((actions) => actions.includes(action))) return true;
      continue;
    }
    if (table[grant.Permission ?? ""]?.includes(action)) return true;
  }
  return false;
}
