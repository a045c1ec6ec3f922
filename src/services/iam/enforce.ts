/**
 * Identity-based policies, enforced. A request signed by an IAM user's key or
 * by an assumed role's session is allowed only if one of the principal's
 * policies (inline and attached, AWS managed or the account's own; a user's
 * include those of every group it is in) allows its action on its resource
 * and none denies it; a permissions boundary must allow it too. The account
 * root (and any key that is not an IAM principal's) is unrestricted.
 *
 * Resources: S3 names its ARN (bucket or object), so S3 policies match
 * exactly. For the other services Stratus does not work out each request's
 * resource ARNs: an Allow statement applies when one of its resources is "*"
 * or names the action's service ("arn:aws:ec2:*:*:instance/*"), a Deny
 * statement when one of its resources is "*" or the service's "arn:…:*".
 * Conditions are evaluated on the global keys (aws:SourceIp,
 * aws:RequestedRegion, aws:PrincipalArn, aws:username, aws:CurrentTime...).
 */
import type { Cloud } from "../../cloud.js";
import { AwsError } from "../../core/errors.js";
import { conditionsHold, parseOperator, substitute, type Condition, type ConditionContext } from "../s3/access/conditions.js";
import { wildcardMatch } from "../s3/access/wildcard.js";
import { findPolicy } from "./lookup.js";
import { IamStore, type GroupRecord, type RoleRecord, type UserRecord } from "./store.js";

export type IdentityDecision = "Unrestricted" | "Allow" | "Deny" | "Neutral";

export interface IdentityRequest {
  principalArn: string;
  /** "s3:GetObject", "ec2:RunInstances". */
  action: string;
  /** The resource's ARN where the service names it (S3); undefined: any of the service's resources. */
  resource?: string;
  context: ConditionContext;
}

interface Statement {
  effect: "Allow" | "Deny";
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  conditions: Condition[];
}

const parsed = new Map<string, Statement[]>();

const strings = (value: unknown): string[] | undefined =>
  value === undefined ? undefined : (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === "string");

/** A statement's Condition block, one condition per operator and key (keys in lower case). */
export function statementConditions(block: unknown): Condition[] {
  const conditions: Condition[] = [];
  for (const [operator, keys] of Object.entries((block ?? {}) as Record<string, Record<string, unknown>>)) {
    const op = parseOperator(operator);
    if (!op || !keys || typeof keys !== "object") continue;
    for (const [key, value] of Object.entries(keys)) {
      conditions.push({ operator, ...op, key: key.toLowerCase(), values: (Array.isArray(value) ? value : [value]).map(String) });
    }
  }
  return conditions;
}

/** A stored (already validated) policy document's statements; cached by text. */
function statements(document: string): Statement[] {
  let out = parsed.get(document);
  if (out) return out;
  out = [];
  try {
    const policy = JSON.parse(document) as { Statement?: unknown };
    const raw = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
    for (const s of raw as Array<Record<string, unknown>>) {
      if (!s || (s.Effect !== "Allow" && s.Effect !== "Deny")) continue;
      const conditions = statementConditions(s.Condition);
      out.push({ effect: s.Effect, actions: strings(s.Action), notActions: strings(s.NotAction), resources: strings(s.Resource), notResources: strings(s.NotResource), conditions });
    }
  } catch {
    // An unreadable document grants nothing.
  }
  if (parsed.size > 1000) parsed.clear();
  parsed.set(document, out);
  return out;
}

/** A policy document and where it comes from (what policy simulation reports). */
export interface SourcedPolicy {
  id: string;
  type: "user" | "role" | "group" | "aws-managed" | "user-managed" | "none";
  document: string;
}

export interface PolicySet {
  policies: SourcedPolicy[];
  /** The permissions boundary, when the principal has one. */
  boundary?: SourcedPolicy[];
}

/** A managed policy's default version, as a sourced policy (AWS's or the account's own). */
function managedPolicy(store: IamStore, account: string, arn: string): SourcedPolicy | undefined {
  const resolved = findPolicy(store, account, arn);
  if (!resolved) return undefined;
  if (resolved.kind === "aws") return { id: resolved.policy.PolicyName, type: "aws-managed", document: resolved.policy.Document };
  const version = resolved.policy.Versions.find((v) => v.VersionId === resolved.policy.DefaultVersionId);
  return version && { id: resolved.policy.PolicyName, type: "user-managed", document: version.Document };
}

/**
 * An entity's own policies, inline then attached. A group's inline policies
 * are named "group_<group>_<policy>", so that a decision says which group it
 * came from.
 */
function ownPolicies(store: IamStore, account: string, record: UserRecord | RoleRecord | GroupRecord, kind: "user" | "role" | "group"): SourcedPolicy[] {
  const inlineId = (name: string) => ("GroupName" in record ? `group_${record.GroupName}_${name}` : name);
  return [
    ...Object.entries(record.InlinePolicies).map(([name, document]): SourcedPolicy => ({ id: inlineId(name), type: kind, document })),
    ...record.AttachedPolicyArns.map((arn) => managedPolicy(store, account, arn)).filter((p): p is SourcedPolicy => p !== undefined),
  ];
}

/** The policies of a user (its groups' included), role or group record, and its permissions boundary. */
export function policiesOfEntity(store: IamStore, account: string, record: UserRecord | RoleRecord | GroupRecord, kind: "user" | "role" | "group"): PolicySet {
  const policies = ownPolicies(store, account, record, kind);
  if ("UserName" in record) {
    for (const group of store.groupsOfUser(account, record.UserName).sort((a, b) => (a.GroupName < b.GroupName ? -1 : 1))) {
      policies.push(...ownPolicies(store, account, group, "group"));
    }
  }
  const boundaryArn = "GroupName" in record ? undefined : record.PermissionsBoundaryArn;
  if (!boundaryArn) return { policies };
  const boundary = managedPolicy(store, account, boundaryArn);
  return { policies, boundary: boundary ? [boundary] : [] };
}

/** The policies that govern a principal; undefined for an unrestricted caller (an account root). */
function policiesOf(store: IamStore, principalArn: string): PolicySet | undefined {
  const user = /^arn:aws[a-z-]*:iam::(\d{12}):user\/(?:.*\/)?([^/]+)$/.exec(principalArn);
  const role = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(principalArn);
  const match = user ?? role;
  if (!match) return undefined;
  const account = match[1];
  const record = user ? store.users(account).get(match[2].toLowerCase()) : store.roles(account).get(match[2].toLowerCase());
  // A principal whose user or role was deleted keeps its credentials on AWS too, but with no permissions.
  if (!record) return { policies: [] };
  return policiesOfEntity(store, account, record, user ? "user" : "role");
}

function serviceOf(action: string): string {
  return action.split(":")[0].toLowerCase();
}

function resourceApplies(patterns: string[], request: IdentityRequest, effect: "Allow" | "Deny"): boolean {
  if (request.resource !== undefined) return patterns.some((p) => wildcardMatch(substitute(p, request.context), request.resource!));
  const service = serviceOf(request.action);
  return patterns.some((p) => {
    if (p === "*") return true;
    const parts = p.split(":");
    if (parts.length < 6 || parts[0] !== "arn") return false;
    const sameService = wildcardMatch(parts[2].toLowerCase(), service);
    if (effect === "Allow") return sameService;
    return sameService && parts.slice(3).every((part) => part === "*" || part === "");
  });
}

/** The decision of a set of policies, and the policies whose statements made it. */
export function evaluatePolicies(policies: SourcedPolicy[], request: IdentityRequest): { decision: "Allow" | "Deny" | "Neutral"; matched: SourcedPolicy[] } {
  const allowing: SourcedPolicy[] = [];
  const denying: SourcedPolicy[] = [];
  for (const policy of policies) {
    for (const s of statements(policy.document)) {
      const actionHit = (patterns: string[]) => patterns.some((p) => wildcardMatch(p, request.action, true));
      if (s.actions && !actionHit(s.actions)) continue;
      if (s.notActions && actionHit(s.notActions)) continue;
      if (s.resources && !resourceApplies(s.resources, request, s.effect)) continue;
      if (s.notResources && request.resource !== undefined && resourceApplies(s.notResources, request, s.effect)) continue;
      if (!conditionsHold(s.conditions, request.context)) continue;
      const list = s.effect === "Deny" ? denying : allowing;
      if (!list.includes(policy)) list.push(policy);
    }
  }
  if (denying.length) return { decision: "Deny", matched: denying };
  return allowing.length ? { decision: "Allow", matched: allowing } : { decision: "Neutral", matched: [] };
}

/** What the caller's identity-based policies say about a request. */
export function identityDecision(cloud: Cloud, request: IdentityRequest): IdentityDecision {
  const set = policiesOf(new IamStore(cloud), request.principalArn);
  if (!set) return "Unrestricted";
  return combined(set, request).decision;
}

/** A policy set's decision, capped by its permissions boundary. */
export function combined(set: PolicySet, request: IdentityRequest): { decision: "Allow" | "Deny" | "Neutral"; matched: SourcedPolicy[]; boundaryAllows?: boolean } {
  const result = evaluatePolicies(set.policies, request);
  if (!set.boundary) return result;
  const bounded = evaluatePolicies(set.boundary, request);
  const boundaryAllows = bounded.decision === "Allow";
  if (bounded.decision === "Deny") return { ...bounded, boundaryAllows };
  if (result.decision === "Allow" && !boundaryAllows) return { decision: "Neutral", matched: [], boundaryAllows };
  return { ...result, boundaryAllows };
}

/**
 * The global condition keys of a request (bucket policies and identity
 * policies alike). An empty principal ARN is an anonymous caller: no principal
 * keys. Conditions see an assumed-role session as its role's ARN.
 */
export function globalContext(cloud: Cloud, caller: { principalArn: string; account: string; region: string; sourceIp: string; secure: boolean }): ConditionContext {
  const now = cloud.clock.now();
  const context: ConditionContext = {
    "aws:requestedregion": caller.region,
    "aws:sourceip": caller.sourceIp.startsWith("::ffff:") && caller.sourceIp.includes(".") ? caller.sourceIp.slice(7) : caller.sourceIp,
    "aws:securetransport": String(caller.secure),
    "aws:currenttime": new Date(now).toISOString(),
    "aws:epochtime": String(Math.floor(now / 1000)),
  };
  const arn = caller.principalArn;
  if (!arn) return context;
  const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  const user = /:user\/(?:.*\/)?([^/]+)$/.exec(arn);
  context["aws:principalaccount"] = caller.account;
  context["aws:principalarn"] = session ? `arn:${session[1]}:iam::${session[2]}:role/${session[3]}` : arn;
  context["aws:principaltype"] = session ? "AssumedRole" : arn.endsWith(":root") ? "Account" : "User";
  if (user) context["aws:username"] = user[1];
  return context;
}

/** AWS's wording for a request identity policies refuse. */
export function deniedMessage(principalArn: string, request: IdentityRequest, decision: IdentityDecision): string {
  const on = request.resource ? ` on resource: ${request.resource}` : "";
  const why = decision === "Deny" ? "with an explicit deny in an identity-based policy" : `because no identity-based policy allows the ${request.action} action`;
  return `User: ${principalArn} is not authorized to perform: ${request.action}${on} ${why}`;
}

/** The error a service answers when identity policies refuse (AccessDeniedException unless the service says otherwise). */
export function identityDenied(message: string, make?: (message: string) => AwsError): AwsError {
  return make ? make(message) : new AwsError("AccessDeniedException", message, { status: 403 });
}
