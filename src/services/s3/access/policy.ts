/**
 * Bucket policies: parsing with S3's validation (MalformedPolicy and its
 * messages) and evaluation of a request against the statements (explicit
 * Deny beats Allow; no match is neutral).
 */
import { AwsError } from "../../../core/errors.js";
import { actionKind, actionsMatching } from "./actions.js";
import { conditionsHold, parseOperator, substitute, type Condition, type ConditionContext } from "./conditions.js";
import { hasWildcard, wildcardMatch } from "./wildcard.js";

export interface PolicyPrincipal {
  /** "*" or {"AWS": "*"}: everyone, anonymous included. */
  any: boolean;
  aws: string[];
  service: string[];
  canonical: string[];
  federated: string[];
}

export interface Statement {
  sid?: string;
  effect: "Allow" | "Deny";
  principal?: PolicyPrincipal;
  notPrincipal?: PolicyPrincipal;
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  conditions: Condition[];
}

export interface BucketPolicy {
  version: string;
  id?: string;
  statements: Statement[];
}

/** Who is asking. */
export interface Requester {
  anonymous: boolean;
  /** The caller's account (empty when anonymous). */
  account: string;
  /** arn:aws:iam::ACCOUNT:root, an IAM user/role ARN or an STS assumed-role session ARN. */
  arn: string;
  /** The caller's S3 canonical user id, when known. */
  canonicalId?: string;
  /** Set when an AWS service acts (replication: "s3.amazonaws.com"). */
  service?: string;
}

export interface PolicyRequest {
  requester: Requester;
  /** "s3:GetObject". */
  action: string;
  /** arn:aws:s3:::bucket or arn:aws:s3:::bucket/key. */
  resource: string;
  context: ConditionContext;
}

export type Decision = "Allow" | "Deny" | "Neutral";

export const MAX_POLICY_BYTES = 20 * 1024;

export function malformedPolicy(message: string): AwsError {
  return new AwsError("MalformedPolicy", message, { status: 400 });
}

const STATEMENT_FIELDS = new Set(["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]);
const ACCOUNT_ID = /^\d{12}$/;
const AWS_PRINCIPAL = /^arn:aws[a-z-]*:(iam::\d{12}:(root|user\/.+|role\/.+|federated-user\/.+)|sts::\d{12}:(assumed-role\/.+|federated-user\/.+))$/;

function list(value: unknown, field: string): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string")) return value as string[];
  throw malformedPolicy(`Policy has invalid ${field.toLowerCase()}`);
}

/** Parses and validates a bucket policy for `bucket`; throws MalformedPolicy like S3. */
export function parseBucketPolicy(text: string, bucket: string): BucketPolicy {
  if (Buffer.byteLength(text, "utf8") > MAX_POLICY_BYTES) throw malformedPolicy("Policy exceeds the maximum allowed document size.");
  const trimmed = text.trimStart();
  if (!trimmed.startsWith("{")) throw malformedPolicy("Policies must be valid JSON and the first byte must be '{'");
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformedPolicy("This policy contains invalid Json");
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw malformedPolicy("Policies must be valid JSON and the first byte must be '{'");
  for (const field of Object.keys(doc)) {
    if (!["Version", "Id", "Statement"].includes(field)) throw malformedPolicy(`Unknown field ${field}`);
  }
  const version = doc.Version ?? "2008-10-17";
  if (version !== "2012-10-17" && version !== "2008-10-17") throw malformedPolicy("The policy must contain a valid version string");
  if (doc.Statement === undefined) throw malformedPolicy("Missing required field Statement");
  const raw = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  if (raw.length === 0) throw malformedPolicy("Could not parse the policy: Statement is empty!");
  const sids = new Set<string>();
  const statements = raw.map((s: unknown) => parseStatement(s, bucket, sids));
  return { version, id: typeof doc.Id === "string" ? doc.Id : undefined, statements };
}

function parseStatement(raw: unknown, bucket: string, sids: Set<string>): Statement {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw malformedPolicy("Policy has invalid statement");
  const s = raw as Record<string, unknown>;
  for (const field of Object.keys(s)) if (!STATEMENT_FIELDS.has(field)) throw malformedPolicy(`Unknown field ${field}`);
  if (s.Sid !== undefined) {
    if (typeof s.Sid !== "string") throw malformedPolicy("Policy has invalid sid");
    if (s.Sid && sids.has(s.Sid)) throw malformedPolicy(`Statement IDs (SID) in a single policy must be unique.`);
    sids.add(s.Sid);
  }
  if (s.Effect === undefined) throw malformedPolicy("Missing required field Effect");
  if (s.Effect !== "Allow" && s.Effect !== "Deny") throw malformedPolicy(`Invalid effect: ${String(s.Effect)}`);
  if (s.Principal === undefined && s.NotPrincipal === undefined) throw malformedPolicy("Missing required field Principal");
  if (s.Principal !== undefined && s.NotPrincipal !== undefined) throw malformedPolicy("Invalid principal in policy");
  if (s.Action === undefined && s.NotAction === undefined) throw malformedPolicy("Missing required field Action");
  if (s.Action !== undefined && s.NotAction !== undefined) throw malformedPolicy("Policy has invalid action");
  if (s.Resource === undefined && s.NotResource === undefined) throw malformedPolicy("Missing required field Resource");
  if (s.Resource !== undefined && s.NotResource !== undefined) throw malformedPolicy("Policy has invalid resource");

  const statement: Statement = {
    sid: s.Sid as string | undefined,
    effect: s.Effect,
    principal: s.Principal !== undefined ? parsePrincipal(s.Principal) : undefined,
    notPrincipal: s.NotPrincipal !== undefined ? parsePrincipal(s.NotPrincipal) : undefined,
    actions: s.Action !== undefined ? list(s.Action, "Action") : undefined,
    notActions: s.NotAction !== undefined ? list(s.NotAction, "Action") : undefined,
    resources: s.Resource !== undefined ? list(s.Resource, "Resource") : undefined,
    notResources: s.NotResource !== undefined ? list(s.NotResource, "Resource") : undefined,
    conditions: s.Condition !== undefined ? parseConditions(s.Condition) : [],
  };
  for (const action of statement.actions ?? statement.notActions!) checkAction(action);
  for (const resource of statement.resources ?? statement.notResources!) checkResource(resource, bucket);
  if (statement.actions && statement.resources) checkActionsApply(statement.actions, statement.resources);
  return statement;
}

function parsePrincipal(raw: unknown): PolicyPrincipal {
  const principal: PolicyPrincipal = { any: false, aws: [], service: [], canonical: [], federated: [] };
  if (raw === "*") return { ...principal, any: true };
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw malformedPolicy("Invalid principal in policy");
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0) throw malformedPolicy("Invalid principal in policy");
  for (const [type, value] of entries) {
    const values = typeof value === "string" ? [value] : Array.isArray(value) && value.every((v) => typeof v === "string") ? (value as string[]) : undefined;
    if (!values || values.length === 0) throw malformedPolicy("Invalid principal in policy");
    switch (type) {
      case "AWS":
        for (const v of values) {
          if (v === "*") principal.any = true;
          else if (ACCOUNT_ID.test(v) || AWS_PRINCIPAL.test(v)) principal.aws.push(v);
          else throw malformedPolicy("Invalid principal in policy");
        }
        break;
      case "Service":
        for (const v of values) {
          if (!/^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(v)) throw malformedPolicy("Invalid principal in policy");
          principal.service.push(v);
        }
        break;
      case "CanonicalUser":
        for (const v of values) {
          if (!/^[0-9a-f]{64}$/.test(v)) throw malformedPolicy("Invalid principal in policy");
          principal.canonical.push(v);
        }
        break;
      case "Federated":
        principal.federated.push(...values);
        break;
      default:
        throw malformedPolicy("Invalid principal in policy");
    }
  }
  return principal;
}

function checkAction(action: string): void {
  if (action === "*") return;
  const lower = action.toLowerCase();
  if (!lower.startsWith("s3:") || lower.length === 3) throw malformedPolicy("Policy has invalid action");
  if (hasWildcard(action)) return;
  if (!actionKind(action)) throw malformedPolicy("Policy has invalid action");
}

function checkResource(resource: string, bucket: string): void {
  if (!resource.startsWith("arn:aws:s3:::")) throw malformedPolicy("Policy has invalid resource");
  const path = resource.slice("arn:aws:s3:::".length);
  const slash = path.indexOf("/");
  const bucketPart = slash < 0 ? path : path.slice(0, slash);
  // A bucket pattern must reach this bucket ("arn:aws:s3:::*" does, "arn:aws:s3:::other" does not).
  if (!bucketPart || !(bucketPart.includes("${") || wildcardMatch(bucketPart, bucket))) {
    throw malformedPolicy("Policy has invalid resource");
  }
}

/** S3 rejects statements whose actions touch none of their resources (s3:GetObject on the bucket ARN alone). */
function checkActionsApply(actions: string[], resources: string[]): void {
  const kinds = new Set<string>();
  for (const resource of resources) {
    const path = resource.slice("arn:aws:s3:::".length);
    if (path.includes("/")) kinds.add("object");
    else {
      kinds.add("bucket");
      if (path.endsWith("*")) kinds.add("object");
    }
  }
  for (const action of actions) {
    const applies =
      action === "*" || hasWildcard(action)
        ? actionsMatching((a) => wildcardMatch(action, a, true)).some((a) => kinds.has(actionKind(a)!))
        : kinds.has(actionKind(action)!);
    if (!applies) throw malformedPolicy("Action does not apply to any resource(s) in statement");
  }
}

function parseConditions(raw: unknown): Condition[] {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw malformedPolicy("Policy has invalid condition");
  const out: Condition[] = [];
  for (const [operator, block] of Object.entries(raw as Record<string, unknown>)) {
    const parsed = parseOperator(operator);
    if (!parsed) throw malformedPolicy(`Invalid Condition type : ${operator}`);
    if (!block || typeof block !== "object" || Array.isArray(block)) throw malformedPolicy("Policy has invalid condition");
    for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
      const lower = key.toLowerCase();
      if (!(lower.startsWith("aws:") || lower.startsWith("s3:")) || lower.endsWith(":")) throw malformedPolicy("Policy has an invalid condition key");
      const values = (Array.isArray(value) ? value : [value]).map((v) => {
        if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
        throw malformedPolicy("Policy has invalid condition value");
      });
      if (values.length === 0) throw malformedPolicy("Policy has invalid condition value");
      out.push({ operator, ...parsed, key: lower, values });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Evaluation

export function principalMatches(principal: PolicyPrincipal, requester: Requester): boolean {
  if (principal.any) return true;
  if (requester.service && principal.service.includes(requester.service)) return true;
  if (requester.anonymous) return false;
  if (requester.canonicalId && principal.canonical.includes(requester.canonicalId)) return true;
  for (const p of principal.aws) {
    if (ACCOUNT_ID.test(p)) {
      if (p === requester.account) return true;
      continue;
    }
    const parts = p.split(":");
    const account = parts[4];
    const resource = parts.slice(5).join(":");
    if (account !== requester.account) continue;
    if (resource === "root") return true;
    if (p === requester.arn) return true;
    if (resource.startsWith("role/")) {
      // A role principal matches the role's sessions: arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION.
      const roleName = resource.split("/").pop();
      const session = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([^/]+)\//.exec(requester.arn);
      if (session && session[1] === account && session[2] === roleName) return true;
    }
  }
  return false;
}

function statementApplies(statement: Statement, request: PolicyRequest): boolean {
  if (statement.principal && !principalMatches(statement.principal, request.requester)) return false;
  if (statement.notPrincipal && principalMatches(statement.notPrincipal, request.requester)) return false;
  const actionHit = (patterns: string[]) => patterns.some((p) => wildcardMatch(p, request.action, true));
  if (statement.actions && !actionHit(statement.actions)) return false;
  if (statement.notActions && actionHit(statement.notActions)) return false;
  const resourceHit = (patterns: string[]) => patterns.some((p) => wildcardMatch(substitute(p, request.context), request.resource));
  if (statement.resources && !resourceHit(statement.resources)) return false;
  if (statement.notResources && resourceHit(statement.notResources)) return false;
  return conditionsHold(statement.conditions, request.context);
}

export function evaluatePolicy(policy: BucketPolicy | undefined, request: PolicyRequest): Decision {
  if (!policy) return "Neutral";
  let allowed = false;
  for (const statement of policy.statements) {
    if (!statementApplies(statement, request)) continue;
    if (statement.effect === "Deny") return "Deny";
    allowed = true;
  }
  return allowed ? "Allow" : "Neutral";
}
