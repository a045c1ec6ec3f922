/**
 * sts:AssumeRoleWithWebIdentity: an OpenID Connect ID token (a JWT) buys a
 * role session, with no AWS signature on the request. The token's issuer
 * ("iss") must be an OIDC provider registered in the role's account, its
 * signature must verify against the issuer's published keys (JWKS), it must
 * be within exp/nbf on Stratus's clock, and one of its audiences ("aud") must
 * be among the provider's client ids. Then the role's trust policy must allow
 * sts:AssumeRoleWithWebIdentity to {"Federated": <provider ARN>}, with the
 * token's claims as condition keys (<provider>:aud, :sub, :amr).
 */
import type { Cloud } from "../../cloud.js";
import { AwsError } from "../../core/errors.js";
import type { AssumeRoleWithWebIdentityRequest, AssumeRoleWithWebIdentityResponse, Tag } from "../../generated/sts.js";
import { globalContext } from "../iam/enforce.js";
import { providerForIssuer } from "../iam/oidc-providers.js";
import type { IamStore, OidcProviderRecord } from "../iam/store.js";
import { evaluateTrust } from "../iam/trust.js";
import type { ConditionContext } from "../s3/access/conditions.js";
import type { CallContext } from "../types.js";
import { JwksCache, JwksUnavailable } from "./jwks.js";
import { decodeJwt, supportedAlgorithm, verifyJwt, type Jwt } from "./jwt.js";
import { checkArn, checkSessionPolicy, packedSize } from "./request-checks.js";
import { issueRoleSession, sessionDuration } from "./sessions.js";

const invalidToken = (message: string) => new AwsError("InvalidIdentityToken", message, { status: 400 });
const NOT_A_JWT = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)";
const NO_KEY = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";
const BAD_SIGNATURE = "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.";
const UNREACHABLE =
  "The request could not be fulfilled because the identity provider (IDP) that was asked to verify the incoming identity token could not be reached. This is often a transient error caused by network conditions. Retry the request a limited number of times and wait between attempts.";
/** Claims an identity provider sets for session tags and the source identity, as AWS names them. */
const TAGS_CLAIM = "https://aws.amazon.com/tags";
const SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity";

const list = (value: unknown): string[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v): v is string => typeof v === "string");

/** Session tags from the token's https://aws.amazon.com/tags claim ({"principal_tags": {"Key": ["Value"]}}). */
function tagsOf(claims: Record<string, unknown>): Tag[] {
  const block = claims[TAGS_CLAIM] as { principal_tags?: Record<string, unknown> } | undefined;
  return Object.entries(block?.principal_tags ?? {}).map(([Key, value]) => ({ Key, Value: list(value)[0] ?? "" }));
}

export class WebIdentity {
  private readonly jwks: JwksCache;

  constructor(
    private readonly cloud: Cloud,
    private readonly iam: IamStore,
  ) {
    this.jwks = new JwksCache(cloud);
  }

  async assume(input: AssumeRoleWithWebIdentityRequest, ctx: CallContext): Promise<AssumeRoleWithWebIdentityResponse> {
    checkArn(input.RoleArn);
    checkSessionPolicy(input.Policy);
    const jwt = decodeJwt(input.WebIdentityToken);
    if (!jwt || typeof jwt.claims.iss !== "string") throw invalidToken(NOT_A_JWT);
    if (!supportedAlgorithm(jwt.header.alg)) throw invalidToken(`Unsupported token signing algorithm: ${String(jwt.header.alg)}`);
    const account = input.RoleArn.split(":")[4] || ctx.account;
    const provider = providerForIssuer(this.iam, account, jwt.claims.iss);
    if (!provider) throw invalidToken(`No OpenIDConnect provider found in your account for ${jwt.claims.iss}`);
    await this.verifySignature(jwt, provider);
    const audience = this.checkClaims(jwt, provider);
    const subject = jwt.claims.sub as string;

    const tags = tagsOf(jwt.claims);
    const sourceIdentity = typeof jwt.claims[SOURCE_IDENTITY_CLAIM] === "string" ? (jwt.claims[SOURCE_IDENTITY_CLAIM] as string) : undefined;
    const context = this.context(ctx, provider, jwt, audience, input.RoleSessionName, tags, sourceIdentity);
    const role = this.iam.findRole(account, input.RoleArn);
    const actions = ["sts:AssumeRoleWithWebIdentity", ...(tags.length ? ["sts:TagSession"] : []), ...(sourceIdentity !== undefined ? ["sts:SetSourceIdentity"] : [])];
    for (const action of actions) {
      const trust = role && evaluateTrust(role.AssumeRolePolicyDocument, { kind: "federated", provider: provider.Arn }, action, context);
      if (trust?.decision !== "Allow") throw new AwsError("AccessDenied", `Not authorized to perform ${action}`, { status: 403 });
    }
    const session = issueRoleSession(this.cloud, role!, input.RoleSessionName, sessionDuration(role!, input.DurationSeconds));
    return {
      ...session,
      SubjectFromWebIdentityToken: subject,
      Provider: provider.Arn,
      Audience: audience,
      PackedPolicySize: packedSize(input.Policy, tags, input.PolicyArns),
      SourceIdentity: sourceIdentity,
    };
  }

  /** Against the issuer's keys, fetched again once when none of the kept ones is the signer's. */
  private async verifySignature(jwt: Jwt, provider: OidcProviderRecord): Promise<void> {
    const issuer = `${provider.Scheme}://${provider.Name}`;
    let verdict: ReturnType<typeof verifyJwt>;
    try {
      const held = await this.jwks.keys(issuer);
      verdict = verifyJwt(jwt, held.keys);
      if (verdict === "no-key" && !held.fetched) verdict = verifyJwt(jwt, (await this.jwks.keys(issuer, true)).keys);
    } catch (error) {
      if (error instanceof JwksUnavailable) throw new AwsError("IDPCommunicationError", UNREACHABLE, { status: 400 });
      throw error;
    }
    if (verdict === "no-key") throw invalidToken(NO_KEY);
    if (verdict === "invalid") throw invalidToken(BAD_SIGNATURE);
  }

  /** exp and nbf on Stratus's clock, a subject, and the audience among the provider's client ids (which it answers). */
  private checkClaims(jwt: Jwt, provider: OidcProviderRecord): string {
    const { exp, nbf, sub } = jwt.claims;
    const now = Math.floor(this.cloud.clock.now() / 1000);
    if (typeof exp !== "number" || typeof sub !== "string" || !sub) throw invalidToken(NOT_A_JWT);
    // AWS's wording, the missing space included.
    if (exp <= now) throw new AwsError("ExpiredTokenException", `Token expired: current date/time ${now} must be before the expiration date/time${Math.floor(exp)}`, { status: 400 });
    if (typeof nbf === "number" && nbf > now) throw invalidToken(`Token is not valid yet: current date/time ${now} must be after the not-before date/time ${Math.floor(nbf)}`);
    const audience = list(jwt.claims.aud).find((aud) => provider.ClientIDList.includes(aud));
    if (audience === undefined) throw invalidToken("Incorrect token audience");
    return audience;
  }

  private context(ctx: CallContext, provider: OidcProviderRecord, jwt: Jwt, audience: string, sessionName: string, tags: Tag[], sourceIdentity: string | undefined): ConditionContext {
    const context = globalContext(this.cloud, { principalArn: "", account: "", region: ctx.region, sourceIp: ctx.sourceIp, secure: ctx.secure });
    const name = provider.Name.toLowerCase();
    context["aws:federatedprovider"] = provider.Arn;
    context[`${name}:aud`] = audience;
    context[`${name}:sub`] = jwt.claims.sub as string;
    const amr = list(jwt.claims.amr);
    if (amr.length) context[`${name}:amr`] = amr;
    context["sts:rolesessionname"] = sessionName;
    if (sourceIdentity !== undefined) context["sts:sourceidentity"] = sourceIdentity;
    if (tags.length) {
      for (const tag of tags) context[`aws:requesttag/${tag.Key.toLowerCase()}`] = tag.Value;
      context["aws:tagkeys"] = tags.map((t) => t.Key);
    }
    return context;
  }
}
