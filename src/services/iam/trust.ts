/**
 * Role trust policies, evaluated: who may assume a role (sts:AssumeRole,
 * sts:AssumeRoleWithWebIdentity) and what else the session may carry
 * (sts:TagSession, sts:SetSourceIdentity). A statement applies when its
 * Principal names the caller, its Action the action and its Conditions hold;
 * an explicit Deny wins. An Allow says how it named the caller: the caller
 * itself ("principal": its user ARN, its role's ARN for a role session, the
 * session's ARN, or "*") or only its account ("account": the account id or
 * its root ARN), for the same-account rule that then also asks the caller's
 * identity policies (STS applies it, sts/role-access.ts). serviceMayAssume
 * asks it for an AWS service acting on an account's behalf (EC2's instance
 * profile credentials).
 */
import type { Cloud } from "../../cloud.js";
import { conditionsHold, type Condition, type ConditionContext } from "../s3/access/conditions.js";
import { wildcardMatch } from "../s3/access/wildcard.js";
import { globalContext, statementConditions } from "./enforce.js";
import type { RoleRecord } from "./store.js";

/** Who asks to assume the role. */
export type TrustCaller =
  /** An IAM user, a role session, an account root (any account) or a federated user: by ARN. */
  | { kind: "aws"; arn: string; account: string }
  /** An AWS service ("ec2.amazonaws.com" for an instance profile's credentials). */
  | { kind: "service"; service: string }
  /** A web identity, by the ARN of the IAM OIDC provider that vouched for it. */
  | { kind: "federated"; provider: string };

export type TrustLevel = "principal" | "account";

export interface TrustDecision {
  decision: "Allow" | "Deny" | "Neutral";
  /** For an Allow: whether a statement named the caller itself, or only its account. */
  level?: TrustLevel;
}

interface Principals {
  any: boolean;
  aws: string[];
  service: string[];
  federated: string[];
}

interface TrustStatement {
  effect: "Allow" | "Deny";
  principal?: Principals;
  notPrincipal?: Principals;
  actions?: string[];
  notActions?: string[];
  conditions: Condition[];
}

const parsed = new Map<string, TrustStatement[]>();

const strings = (value: unknown): string[] =>
  value === undefined ? [] : (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === "string");

function principals(value: unknown): Principals | undefined {
  if (value === undefined) return undefined;
  if (value === "*") return { any: true, aws: [], service: [], federated: [] };
  const block = (value ?? {}) as Record<string, unknown>;
  const aws = strings(block.AWS);
  return { any: aws.includes("*"), aws, service: strings(block.Service), federated: strings(block.Federated) };
}

/** A stored (already validated) trust policy's statements; cached by text. */
function statements(document: string): TrustStatement[] {
  let out = parsed.get(document);
  if (out) return out;
  out = [];
  try {
    const policy = JSON.parse(document) as { Statement?: unknown };
    const raw = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
    for (const s of raw as Array<Record<string, unknown>>) {
      if (!s || (s.Effect !== "Allow" && s.Effect !== "Deny")) continue;
      const conditions = statementConditions(s.Condition);
      out.push({
        effect: s.Effect,
        principal: principals(s.Principal),
        notPrincipal: principals(s.NotPrincipal),
        actions: s.Action === undefined ? undefined : strings(s.Action),
        notActions: s.NotAction === undefined ? undefined : strings(s.NotAction),
        conditions,
      });
    }
  } catch {
    // An unreadable document trusts nobody.
  }
  if (parsed.size > 1000) parsed.clear();
  parsed.set(document, out);
  return out;
}

const ACCOUNT_ID = /^\d{12}$/;
const SESSION = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

/** How a Principal element names the caller, if it does. */
function matchLevel(p: Principals, caller: TrustCaller): TrustLevel | undefined {
  if (caller.kind === "service") return p.any && p.aws.length === 0 ? "principal" : p.service.includes(caller.service) ? "principal" : undefined;
  if (caller.kind === "federated") return p.any && p.aws.length === 0 ? "principal" : p.federated.includes(caller.provider) ? "principal" : undefined;
  if (p.any) return "principal";
  let level: TrustLevel | undefined;
  const session = SESSION.exec(caller.arn);
  for (const value of p.aws) {
    if (ACCOUNT_ID.test(value)) {
      if (value === caller.account) level ??= "account";
      continue;
    }
    const parts = value.split(":");
    if (parts.length < 6 || parts[4] !== caller.account) continue;
    const resource = parts.slice(5).join(":");
    if (resource === "root") level ??= "account";
    else if (value === caller.arn) return "principal";
    // A role's ARN names its sessions (arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION); its path is not in the session ARN.
    else if (resource.startsWith("role/") && session && session[2] === resource.split("/").pop()) return "principal";
  }
  return level;
}

function applies(s: TrustStatement, caller: TrustCaller, action: string, context: ConditionContext): TrustLevel | undefined {
  let level: TrustLevel | undefined = "principal";
  if (s.principal) level = matchLevel(s.principal, caller);
  else if (s.notPrincipal && matchLevel(s.notPrincipal, caller)) level = undefined;
  if (!level) return undefined;
  const hit = (patterns: string[]) => patterns.some((p) => wildcardMatch(p, action, true));
  if (s.actions && !hit(s.actions)) return undefined;
  if (s.notActions && hit(s.notActions)) return undefined;
  return conditionsHold(s.conditions, context) ? level : undefined;
}

/** What a role's trust policy says about a caller performing an sts: action on it. */
export function evaluateTrust(document: string, caller: TrustCaller, action: string, context: ConditionContext): TrustDecision {
  let allowed: TrustLevel | undefined;
  for (const s of statements(document)) {
    const level = applies(s, caller, action, context);
    if (!level) continue;
    if (s.effect === "Deny") return { decision: "Deny" };
    if (allowed !== "principal") allowed = level;
  }
  return allowed ? { decision: "Allow", level: allowed } : { decision: "Neutral" };
}

/**
 * Whether an AWS service may assume the role on an account's behalf (EC2 for
 * an instance profile, S3 for replication, DLM for its policies): the trust
 * policy must allow the service principal sts:AssumeRole. The request carries
 * the global keys (no source address: the service calls) and
 * aws:SourceAccount, the account it acts for.
 */
export function serviceMayAssume(cloud: Cloud, role: RoleRecord, service: string, on: { account: string; region: string }): boolean {
  const context = globalContext(cloud, { principalArn: "", account: on.account, region: on.region, sourceIp: "", secure: true });
  delete context["aws:sourceip"];
  context["aws:sourceaccount"] = on.account;
  return evaluateTrust(role.AssumeRolePolicyDocument, { kind: "service", service }, "sts:AssumeRole", context).decision === "Allow";
}
