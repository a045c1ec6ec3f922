/**
 * Policy documents as IAM checks them before storing: JSON, the policy
 * grammar (Version, Statement, Effect, Action/NotAction, Resource/NotResource,
 * Principal only in trust policies, Condition), and the size quotas. IAM
 * returns documents URL-encoded (RFC 3986), as `encodeDocument` does.
 */
import { IamErrors } from "./errors.js";

/** "identity": attached to a role or user, or a managed policy. "trust": a role's assume-role policy. */
export type PolicyKind = "identity" | "trust";

const VERSIONS = new Set(["2012-10-17", "2008-10-17"]);
const TOP_LEVEL = new Set(["Version", "Id", "Statement"]);
const STATEMENT_KEYS = new Set(["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"]);
const PRINCIPAL_TYPES = new Set(["AWS", "Service", "Federated", "CanonicalUser"]);
const PARTITIONS = new Set(["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc", "*"]);

const SYNTAX = "Syntax errors in policy.";
const LEGACY = "The policy failed legacy parsing";

/** Quotas (characters, whitespace not counted), as IAM names them in LimitExceeded messages. */
export const POLICY_QUOTAS = {
  managedPolicySize: 6144,
  roleInlinePolicySize: 10240,
  userInlinePolicySize: 2048,
  groupInlinePolicySize: 5120,
  trustPolicySize: 2048,
} as const;

/** IAM counts a policy's size without whitespace. */
export function policySize(document: string): number {
  return document.replace(/\s+/g, "").length;
}

/** Checks a document; throws MalformedPolicyDocument with IAM's wording. */
export function validatePolicyDocument(text: string, kind: PolicyKind): void {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw IamErrors.malformed("This policy contains invalid Json");
  }
  if (!isObject(document)) throw IamErrors.malformed(SYNTAX);
  for (const key of Object.keys(document)) if (!TOP_LEVEL.has(key)) throw IamErrors.malformed(SYNTAX);
  if (document.Version !== undefined && !(typeof document.Version === "string" && VERSIONS.has(document.Version))) {
    throw IamErrors.malformed(LEGACY);
  }
  if (document.Id !== undefined && typeof document.Id !== "string") throw IamErrors.malformed(SYNTAX);
  const raw = document.Statement;
  const statements = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (statements.length === 0) throw IamErrors.malformed(SYNTAX);
  const sids = new Set<string>();
  for (const statement of statements) {
    if (!isObject(statement)) throw IamErrors.malformed(SYNTAX);
    checkStatement(statement, kind);
    if (statement.Sid !== undefined) {
      if (typeof statement.Sid !== "string") throw IamErrors.malformed(SYNTAX);
      if (kind === "identity" && !/^[0-9A-Za-z]*$/.test(statement.Sid)) {
        throw IamErrors.malformed("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*");
      }
      if (statement.Sid !== "" && sids.has(statement.Sid)) throw IamErrors.malformed("Statement IDs (SID) in a single policy must be unique.");
      sids.add(statement.Sid);
    }
  }
}

function checkStatement(statement: Record<string, unknown>, kind: PolicyKind): void {
  for (const key of Object.keys(statement)) if (!STATEMENT_KEYS.has(key)) throw IamErrors.malformed(SYNTAX);
  if (statement.Effect === undefined) throw IamErrors.malformed(SYNTAX);
  if (statement.Effect !== "Allow" && statement.Effect !== "Deny") throw IamErrors.malformed(LEGACY);

  const hasPrincipal = statement.Principal !== undefined || statement.NotPrincipal !== undefined;
  if (kind === "identity" && hasPrincipal) throw IamErrors.malformed("Policy document should not specify a principal.");
  if (kind === "trust") {
    if (statement.Resource !== undefined) throw IamErrors.malformed("Has prohibited field Resource");
    if (statement.NotResource !== undefined) throw IamErrors.malformed("Has prohibited field NotResource");
    if (!hasPrincipal) throw IamErrors.malformed("Missing required field Principal");
    if (statement.Principal !== undefined && statement.NotPrincipal !== undefined) throw IamErrors.malformed(SYNTAX);
    checkPrincipal(statement.Principal ?? statement.NotPrincipal);
  }

  if (statement.Action !== undefined && statement.NotAction !== undefined) throw IamErrors.malformed(SYNTAX);
  const actions = stringList(statement.Action ?? statement.NotAction);
  if (actions === undefined) throw IamErrors.malformed(SYNTAX);
  if (actions.length === 0) throw IamErrors.malformed("Policy statement must contain actions.");
  for (const action of actions) checkAction(action, kind);

  if (kind === "identity") {
    if (statement.Resource !== undefined && statement.NotResource !== undefined) throw IamErrors.malformed(SYNTAX);
    const resources = stringList(statement.Resource ?? statement.NotResource);
    if (resources === undefined) throw IamErrors.malformed(SYNTAX);
    if (resources.length === 0) throw IamErrors.malformed("Policy statement must contain resources.");
    for (const resource of resources) checkResource(resource);
  }

  if (statement.Condition !== undefined) {
    if (!isObject(statement.Condition)) throw IamErrors.malformed(SYNTAX);
    for (const [operator, block] of Object.entries(statement.Condition)) {
      if (!isObject(block)) throw IamErrors.malformed(SYNTAX);
      for (const key of Object.keys(block)) {
        if (!key.includes(":")) {
          throw IamErrors.malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
        }
      }
      if (!/^[A-Za-z:]+$/.test(operator)) throw IamErrors.malformed(SYNTAX);
    }
  }
}

function checkAction(action: string, kind: PolicyKind): void {
  if (action === "*") return;
  const colons = action.split(":").length - 1;
  if (colons === 0) throw IamErrors.malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
  if (colons > 1) throw IamErrors.malformed("Actions/Condition can contain only one colon.");
  const [vendor] = action.split(":");
  if (!/^[A-Za-z0-9*?-]+$/.test(vendor)) throw IamErrors.malformed(`Vendor ${vendor} is not valid`);
  if (kind === "trust" && vendor.toLowerCase() !== "sts" && vendor !== "*") {
    throw IamErrors.malformed("AssumeRole policy may only specify STS AssumeRole actions.");
  }
}

function checkResource(resource: string): void {
  if (resource === "*") return;
  const parts = resource.split(":");
  if (parts.length < 6 || parts[0] !== "arn") throw IamErrors.malformed(`Resource ${resource} must be in ARN format or "*".`);
  if (!PARTITIONS.has(parts[1])) throw IamErrors.malformed(`Partition "${parts[1]}" is not valid for resource "${resource}".`);
}

function checkPrincipal(principal: unknown): void {
  if (principal === "*") return;
  if (!isObject(principal)) throw IamErrors.malformed(`Invalid principal in policy: ${JSON.stringify(principal)}`);
  for (const [type, value] of Object.entries(principal)) {
    const values = stringList(value);
    if (!PRINCIPAL_TYPES.has(type) || values === undefined || values.length === 0) {
      throw IamErrors.malformed(`Invalid principal in policy: "${type}":${JSON.stringify(value)}`);
    }
    for (const item of values) {
      if (!validPrincipal(type, item)) throw IamErrors.malformed(`Invalid principal in policy: "${type}":"${item}"`);
    }
  }
}

function validPrincipal(type: string, value: string): boolean {
  switch (type) {
    case "AWS":
      return (
        value === "*" ||
        /^\d{12}$/.test(value) ||
        /^arn:aws[a-z-]*:iam::(\d{12}|aws):(root|user\/.+|role\/.+|federated-user\/.+)$/.test(value) ||
        /^arn:aws[a-z-]*:sts::\d{12}:(assumed-role|federated-user)\/.+$/.test(value)
      );
    case "Service":
      return value === "*" || /^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(value) || /^[a-z0-9.-]+\.amazon\.com$/.test(value);
    case "Federated":
      return value.length > 0;
    default:
      return value.length > 0;
  }
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as string[];
  if (value === undefined) return [];
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** RFC 3986 percent-encoding, as IAM returns policy documents. */
export function encodeDocument(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}
