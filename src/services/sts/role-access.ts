/**
 * Who may assume a role, as STS decides it: the role's trust policy must
 * allow the caller (explicit Deny wins), and
 * - an account root (of any account) needs nothing more;
 * - an IAM user or role session of the role's own account needs nothing more
 *   when the trust policy names it (its ARN, its role's ARN, or "*"), but its
 *   identity policies must also allow the action when the trust policy names
 *   only its account;
 * - an IAM user or role session of another account always needs its identity
 *   policies to allow it too.
 * Session tags need sts:TagSession, a source identity sts:SetSourceIdentity,
 * by the same rules. Federated users (GetFederationToken) may not assume roles.
 */
import type { Cloud } from "../../cloud.js";
import { AwsError } from "../../core/errors.js";
import { globalContext, identityDecision } from "../iam/enforce.js";
import type { IamStore, RoleRecord, TagRecord } from "../iam/store.js";
import { evaluateTrust } from "../iam/trust.js";
import type { ConditionContext } from "../s3/access/conditions.js";
import type { CallContext } from "../types.js";

const IAM_USER = /^arn:aws[a-z-]*:iam::(\d{12}):user\/(?:.*\/)?([^/]+)$/;
const ROLE_SESSION = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

export interface AssumeRoleAsk {
  role: RoleRecord | undefined;
  /** The role ARN as the request named it (for the refusal's message). */
  roleArn: string;
  sessionName: string;
  externalId?: string;
  sourceIdentity?: string;
  tags?: TagRecord[];
  transitiveTagKeys?: string[];
}

export function notAuthorized(principalArn: string, action: string, roleArn: string): AwsError {
  return new AwsError("AccessDenied", `User: ${principalArn} is not authorized to perform: ${action} on resource: ${roleArn}`, { status: 403 });
}

/** The tags an IAM caller carries (aws:PrincipalTag/…): its user's or its role's. */
function principalTags(iam: IamStore, principalArn: string): TagRecord[] {
  const user = IAM_USER.exec(principalArn);
  if (user) return iam.users(user[1]).get(user[2].toLowerCase())?.Tags ?? [];
  const session = ROLE_SESSION.exec(principalArn);
  if (session) return iam.roles(session[1]).get(session[2].toLowerCase())?.Tags ?? [];
  return [];
}

/** The condition keys of an AssumeRole request. */
export function assumeRoleContext(cloud: Cloud, iam: IamStore, ctx: CallContext, ask: AssumeRoleAsk): ConditionContext {
  const context = globalContext(cloud, { principalArn: ctx.principalArn, account: ctx.account, region: ctx.region, sourceIp: ctx.sourceIp, secure: ctx.secure });
  context["aws:userid"] = cloud.identity.caller(ctx.accessKeyId).userId;
  for (const tag of principalTags(iam, ctx.principalArn)) context[`aws:principaltag/${tag.Key.toLowerCase()}`] = tag.Value;
  context["sts:rolesessionname"] = ask.sessionName;
  if (ask.externalId !== undefined) context["sts:externalid"] = ask.externalId;
  if (ask.sourceIdentity !== undefined) context["sts:sourceidentity"] = ask.sourceIdentity;
  if (ask.tags?.length) {
    for (const tag of ask.tags) context[`aws:requesttag/${tag.Key.toLowerCase()}`] = tag.Value;
    context["aws:tagkeys"] = ask.tags.map((t) => t.Key);
  }
  if (ask.transitiveTagKeys?.length) context["sts:transitivetagkeys"] = ask.transitiveTagKeys;
  return context;
}

/** Throws AccessDenied unless the caller may assume the role (and tag the session, and set its source identity, if asked). */
export function authorizeAssumeRole(cloud: Cloud, iam: IamStore, ctx: CallContext, ask: AssumeRoleAsk): void {
  const principalArn = ctx.principalArn;
  const role = ask.role;
  if (!role || principalArn.includes(":federated-user/")) throw notAuthorized(principalArn, "sts:AssumeRole", ask.roleArn);
  const context = assumeRoleContext(cloud, iam, ctx, ask);
  const actions = ["sts:AssumeRole"];
  if (ask.tags?.length) actions.push("sts:TagSession");
  if (ask.sourceIdentity !== undefined) actions.push("sts:SetSourceIdentity");
  const roleAccount = role.Arn.split(":")[4];
  for (const action of actions) {
    if (!allowed(cloud, role, { arn: principalArn, account: ctx.account }, roleAccount, action, context)) throw notAuthorized(principalArn, action, role.Arn);
  }
}

function allowed(cloud: Cloud, role: RoleRecord, caller: { arn: string; account: string }, roleAccount: string, action: string, context: ConditionContext): boolean {
  const trust = evaluateTrust(role.AssumeRolePolicyDocument, { kind: "aws", ...caller }, action, context);
  if (trust.decision === "Deny") return false;
  // Unrestricted: an account root (identityDecision governs only IAM users and role sessions).
  const identity = identityDecision(cloud, { principalArn: caller.arn, action, resource: role.Arn, context });
  if (identity === "Deny" || trust.decision !== "Allow") return false;
  if (identity === "Unrestricted" || identity === "Allow") return true;
  return caller.account === roleAccount && trust.level === "principal";
}
