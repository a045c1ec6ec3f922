/**
 * "Is this public?" as S3 defines it for Block Public Access and
 * GetBucketPolicyStatus. A policy is public when an Allow statement grants
 * to a principal that is not fixed ("*", {"AWS": "*"}, NotPrincipal) and no
 * condition pins the request to fixed values of the keys S3 accepts as
 * restricting (aws:SourceIp to a CIDR of /8 or narrower, aws:SourceArn,
 * aws:SourceVpc, aws:SourceVpce, aws:SourceOwner, aws:SourceAccount,
 * aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn,
 * s3:x-amz-server-side-encryption-aws-kms-key-id, aws:userid outside
 * "AROLEID:*", s3:DataAccessPointArn, s3:DataAccessPointAccount).
 * An ACL is public when it grants to AllUsers or AuthenticatedUsers.
 */
import { parseCidr, type Condition } from "./conditions.js";
import type { BucketPolicy, Statement } from "./policy.js";
import { hasWildcard } from "./wildcard.js";

const FIXING_KEYS = new Set([
  "aws:sourcearn",
  "aws:sourcevpc",
  "aws:sourcevpce",
  "aws:sourceowner",
  "aws:sourceaccount",
  "aws:principalaccount",
  "aws:principalorgid",
  "aws:principalarn",
  "s3:x-amz-server-side-encryption-aws-kms-key-id",
  "aws:userid",
  "s3:dataaccesspointarn",
  "s3:dataaccesspointaccount",
]);

const FIXING_OPERATORS = new Set(["StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"]);

export const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";
export const AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

function conditionRestricts(condition: Condition): boolean {
  if (condition.set === "ForAllValues" || condition.ifExists) return false;
  if (condition.key === "aws:sourceip" && condition.base === "IpAddress") {
    return condition.values.every((v) => {
      const cidr = parseCidr(v);
      return cidr !== undefined && cidr.prefix >= (cidr.bytes.length === 4 ? 8 : 32);
    });
  }
  if (!FIXING_KEYS.has(condition.key) || !FIXING_OPERATORS.has(condition.base)) return false;
  // A wildcard value (aws:userid "AROLEID:*" included) does not fix anything.
  return condition.values.every((v) => !hasWildcard(v));
}

function statementIsPublic(statement: Statement): boolean {
  if (statement.effect !== "Allow") return false;
  const open = statement.notPrincipal !== undefined || statement.principal?.any === true;
  if (!open) return false;
  return !statement.conditions.some(conditionRestricts);
}

export function isPolicyPublic(policy: BucketPolicy | undefined): boolean {
  return policy !== undefined && policy.statements.some(statementIsPublic);
}

export interface AclGrant {
  Grantee?: { Type?: string; URI?: string; ID?: string; EmailAddress?: string; DisplayName?: string };
  Permission?: string;
}

export function isAclPublic(grants: AclGrant[] | undefined): boolean {
  return (grants ?? []).some((g) => g.Grantee?.Type === "Group" && (g.Grantee.URI === ALL_USERS || g.Grantee.URI === AUTHENTICATED_USERS));
}

export const PUBLIC_CANNED_ACLS = new Set(["public-read", "public-read-write", "authenticated-read"]);
