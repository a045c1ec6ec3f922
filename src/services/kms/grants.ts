/**
 * Grants: CreateGrant (operations checked against the key's type, encryption
 * context constraints, Name idempotency, the limits of a CreateGrant
 * permission that itself came from a grant), ListGrants, ListRetirableGrants,
 * RetireGrant (who may retire, as AWS's grant-manage guide says), RevokeGrant,
 * and grant tokens. Grants take effect at once in Stratus (no eventual
 * consistency); a grant token is still checked wherever one is passed.
 *
 * A grant token is the grant's scope and id sealed (AES-256-GCM) under a
 * subkey of the master key: unique per CreateGrant, unforgeable, stored nowhere.
 */
import { crypto } from "../../core/crypto.js";
import type { Cloud } from "../../cloud.js";
import type { CreateGrantRequest, GrantListEntry, ListGrantsRequest, ListGrantsResponse, ListRetirableGrantsRequest } from "../../generated/kms.js";
import type { Scope } from "../../state/documents.js";
import { KmsErrors } from "./errors.js";
import type { KeyRing } from "./keys.js";
import { KeyWrapper } from "./master-key.js";
import { paginate } from "./paging.js";
import { grantOperationsOf, isSymmetric } from "./specs.js";
import type { GrantRecord, KeyRecord } from "./store.js";

type Constraints = NonNullable<GrantRecord["Constraints"]>;
type Context = Record<string, string> | undefined;

const GRANT_ID = /^[0-9a-f]{64}$/;
const TOKEN_CONTEXT = "kms/grant-token";

/** Principals a grant may name: accounts, IAM users and roles, federated users, role sessions (not services or groups). */
const PRINCIPAL =
  /^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:(root|user\/.+|role\/.+)|arn:aws[a-z-]*:sts::\d{12}:(assumed-role\/[^/]+\/.+|federated-user\/.+))$/;

/** The grant operations whose requests carry an encryption context, which constraints apply to. */
const CONTEXT_OPERATIONS = new Set([
  "Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
  "GenerateDataKeyPairWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo",
]);

/** Whether a caller is the principal a grant names: the same ARN, or a session of the role it names. */
export function principalMatches(named: string | undefined, caller: string): boolean {
  if (!named) return false;
  if (named === caller) return true;
  const role = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(named);
  const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(caller);
  return !!role && !!session && role[1] === session[1] && role[2] === session[2] && role[3] === session[3];
}

function constraintsHold(constraints: Constraints | undefined, context: Context): boolean {
  if (!constraints) return true;
  const ctx = context ?? {};
  const { EncryptionContextEquals: equals, EncryptionContextSubset: subset } = constraints;
  if (equals && (Object.keys(ctx).length !== Object.keys(equals).length || Object.entries(equals).some(([k, v]) => ctx[k] !== v))) return false;
  if (subset && Object.entries(subset).some(([k, v]) => ctx[k] !== v)) return false;
  return true;
}

/** A child grant's constraints are at least as strict as its parent's (create-grant-overview: "Granting CreateGrant permission"). */
function atLeastAsStrict(child: Constraints | undefined, parent: Constraints | undefined): boolean {
  if (!parent) return true;
  if (parent.EncryptionContextEquals) return !!child?.EncryptionContextEquals && sameContext(child.EncryptionContextEquals, parent.EncryptionContextEquals);
  const required = parent.EncryptionContextSubset ?? {};
  const covers = (map: Record<string, string> | undefined) => !!map && Object.entries(required).every(([k, v]) => map[k] === v);
  return covers(child?.EncryptionContextSubset) || covers(child?.EncryptionContextEquals);
}

function sameContext(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {}).sort();
  const kb = Object.keys(b ?? {}).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a![k] === b![k]);
}

/** Constraints as stored: empty maps are no constraint, as AWS treats them. */
function normalize(constraints: CreateGrantRequest["Constraints"]): Constraints | undefined {
  const out: Constraints = {};
  if (constraints?.EncryptionContextEquals && Object.keys(constraints.EncryptionContextEquals).length) out.EncryptionContextEquals = { ...constraints.EncryptionContextEquals };
  if (constraints?.EncryptionContextSubset && Object.keys(constraints.EncryptionContextSubset).length) out.EncryptionContextSubset = { ...constraints.EncryptionContextSubset };
  return out.EncryptionContextEquals || out.EncryptionContextSubset ? out : undefined;
}

function sameConstraints(a: Constraints | undefined, b: Constraints | undefined): boolean {
  return sameContext(a?.EncryptionContextEquals, b?.EncryptionContextEquals) && sameContext(a?.EncryptionContextSubset, b?.EncryptionContextSubset);
}

export function listEntry(grant: GrantRecord): GrantListEntry {
  return {
    KeyId: grant.KeyArn,
    GrantId: grant.GrantId,
    Name: grant.Name ?? "",
    CreationDate: grant.CreationDate,
    GranteePrincipal: grant.GranteePrincipal,
    RetiringPrincipal: grant.RetiringPrincipal,
    IssuingAccount: grant.IssuingAccount,
    Operations: grant.Operations as GrantListEntry["Operations"],
    Constraints: grant.Constraints,
  };
}

/** How a CreateGrant request was authorized: by a policy (no limits) or only by grants that allow CreateGrant. */
export type CreateGrantAuthority = { via: "policy" } | { via: "grants"; grants: GrantRecord[] };

export class Grants {
  private tokenWrapper: KeyWrapper | undefined;

  constructor(
    private readonly cloud: Cloud,
    private readonly ring: KeyRing,
  ) {}

  private get wrapper(): KeyWrapper {
    return (this.tokenWrapper ??= new KeyWrapper(this.cloud, "kms-grant-token"));
  }

  /** Grants live in their key's scope, which its ARN names. */
  private scopeOf(key: Pick<KeyRecord, "Arn">): Scope {
    const [, , , region, account] = key.Arn.split(":");
    return { account, region };
  }

  // ---- tokens -------------------------------------------------------------

  private issueToken(scope: Scope, grantId: string): string {
    const payload = Buffer.from(JSON.stringify([scope.account, scope.region, grantId]), "utf8");
    return this.wrapper.wrap(payload, TOKEN_CONTEXT).toString("base64");
  }

  /** The grant a token names (it may since have been retired), or InvalidGrantTokenException. */
  readToken(token: string): { scope: Scope; grantId: string } {
    const blob = /^[A-Za-z0-9+/]+={0,2}$/.test(token) ? Buffer.from(token, "base64") : undefined;
    const payload = blob && this.wrapper.unwrap(blob, TOKEN_CONTEXT);
    if (!payload) throw KmsErrors.invalidGrantToken();
    const [account, region, grantId] = JSON.parse(payload.toString("utf8")) as string[];
    return { scope: { account, region }, grantId };
  }

  /** Every token in a GrantTokens parameter must be one CreateGrant made. */
  checkTokens(tokens: string[] | undefined): void {
    for (const token of tokens ?? []) this.readToken(token);
  }

  // ---- use ----------------------------------------------------------------

  /** The grants that let `caller` call `operation` on `key` with this encryption context. */
  allowing(caller: string, key: KeyRecord, operation: string, context: Context): GrantRecord[] {
    return this.ring.store
      .grants(this.scopeOf(key))
      .values()
      .filter((g) => g.KeyId === key.KeyId && g.Operations.includes(operation) && principalMatches(g.GranteePrincipal, caller))
      .filter((g) => !CONTEXT_OPERATIONS.has(operation) || constraintsHold(g.Constraints, context));
  }

  // ---- CreateGrant ----------------------------------------------------------

  create(key: KeyRecord, input: CreateGrantRequest, account: string, authority: CreateGrantAuthority): { GrantId: string; GrantToken: string } {
    if (!PRINCIPAL.test(input.GranteePrincipal)) throw KmsErrors.invalidPrincipal(input.GranteePrincipal);
    if (input.RetiringPrincipal !== undefined && !PRINCIPAL.test(input.RetiringPrincipal)) throw KmsErrors.invalidPrincipal(input.RetiringPrincipal);
    const operations = [...new Set(input.Operations ?? [])];
    if (operations.length === 0) throw KmsErrors.validation("1 validation error detected: Value '[]' at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1");
    const supported = grantOperationsOf(key);
    const unsupported = operations.filter((op) => !supported.includes(op));
    if (unsupported.length) {
      throw KmsErrors.validation(`Grant operations [${unsupported.join(", ")}] are not valid for a KMS key with KeySpec ${key.KeySpec} and KeyUsage ${key.KeyUsage}.`);
    }
    const constraints = normalize(input.Constraints);
    if (constraints && !isSymmetric(key)) {
      throw KmsErrors.validation("Encryption context grant constraints are not supported on asymmetric or HMAC KMS keys: their operations take no encryption context.");
    }
    for (const map of [constraints?.EncryptionContextEquals, constraints?.EncryptionContextSubset]) {
      if (map && Object.keys(map).length > 8) throw KmsErrors.validation("A grant constraint can include up to 8 encryption context pairs.");
    }
    if (authority.via === "grants" && !authority.grants.some((parent) => operations.every((op) => parent.Operations.includes(op)) && atLeastAsStrict(constraints, parent.Constraints))) {
      throw KmsErrors.accessDenied(
        `A grant that allows CreateGrant only allows creating grants for some or all of its operations, with grant constraints at least as strict as its own, on ${key.Arn}.`,
      );
    }
    this.ring.assertUsable(key);
    if (input.DryRun) throw KmsErrors.dryRun();
    const scope = this.scopeOf(key);
    const grants = this.ring.store.grants(scope);
    const name = input.Name || undefined;
    const retry = name
      ? grants.values().find((g) =>
          g.KeyId === key.KeyId && g.Name === name && g.GranteePrincipal === input.GranteePrincipal && g.RetiringPrincipal === input.RetiringPrincipal &&
          g.Operations.length === operations.length && operations.every((op) => g.Operations.includes(op)) &&
          sameConstraints(g.Constraints, constraints))
      : undefined;
    // A retry of the same request (same name and parameters) is the same grant; its token is new, as AWS's are.
    if (retry) return { GrantId: retry.GrantId, GrantToken: this.issueToken(scope, retry.GrantId) };
    const grantId = crypto().randomBytes(32).toString("hex");
    grants.put(grantId, {
      GrantId: grantId,
      KeyId: key.KeyId,
      KeyArn: key.Arn,
      GranteePrincipal: input.GranteePrincipal,
      RetiringPrincipal: input.RetiringPrincipal,
      Operations: operations,
      Constraints: constraints,
      Name: name,
      IssuingAccount: `arn:aws:iam::${account}:root`,
      CreationDate: this.cloud.clock.date(),
      sequence: grants.values().reduce((max, g) => Math.max(max, g.sequence), 0) + 1,
    });
    return { GrantId: grantId, GrantToken: this.issueToken(scope, grantId) };
  }

  // ---- listing --------------------------------------------------------------

  list(key: KeyRecord, input: ListGrantsRequest): ListGrantsResponse {
    if (input.GrantId !== undefined && !GRANT_ID.test(input.GrantId)) throw KmsErrors.invalidGrantId(input.GrantId);
    const grants = this.ring.store
      .grants(this.scopeOf(key))
      .values()
      .filter((g) => g.KeyId === key.KeyId && (input.GrantId === undefined || g.GrantId === input.GrantId))
      .filter((g) => input.GranteePrincipal === undefined || g.GranteePrincipal === input.GranteePrincipal);
    return this.page(grants, input.Limit, input.Marker);
  }

  listRetirable(scope: Scope, input: ListRetirableGrantsRequest): ListGrantsResponse {
    const grants = this.ring.store.grants(scope).values().filter((g) => g.RetiringPrincipal === input.RetiringPrincipal);
    return this.page(grants, input.Limit, input.Marker);
  }

  private page(grants: GrantRecord[], limit = 50, marker?: string): ListGrantsResponse {
    const sorted = grants.sort((a, b) => a.sequence - b.sequence);
    const page = paginate(sorted, (g) => String(g.sequence).padStart(12, "0"), limit, marker);
    return { Grants: page.items.map(listEntry), Truncated: page.truncated, NextMarker: page.nextMarker };
  }

  // ---- retiring and revoking -----------------------------------------------

  /** The grant a RetireGrant request names: by token, or by key and grant id. */
  toRetire(input: { GrantToken?: string; KeyId?: string; GrantId?: string }, scope: Scope): GrantRecord {
    if (input.GrantToken !== undefined) {
      const { scope: grantScope, grantId } = this.readToken(input.GrantToken);
      const grant = this.ring.store.grants(grantScope).get(grantId);
      if (!grant) throw KmsErrors.grantNotFound(grantId);
      return grant;
    }
    if (input.KeyId === undefined || input.GrantId === undefined) throw KmsErrors.validation("Grant token OR (grant ID, key ID) must be specified");
    return this.onKey(this.ring.locate(scope, input.KeyId, { aliases: false }).key, input.GrantId);
  }

  /** A grant of a key, by id (RevokeGrant, RetireGrant). */
  onKey(key: KeyRecord, grantId: string): GrantRecord {
    if (!GRANT_ID.test(grantId)) throw KmsErrors.invalidGrantId(grantId);
    const grant = this.ring.store.grants(this.scopeOf(key)).get(grantId);
    if (!grant || grant.KeyId !== key.KeyId) throw KmsErrors.grantNotFound(grantId, key.Arn);
    return grant;
  }

  /**
   * Who may retire a grant without an IAM policy saying so: its retiring
   * principal, its grantee when it allows RetireGrant, and the account it was
   * created in (that account's root).
   */
  mayRetire(grant: GrantRecord, caller: { principalArn: string; account: string; root: boolean }): boolean {
    if (principalMatches(grant.RetiringPrincipal, caller.principalArn)) return true;
    if (grant.Operations.includes("RetireGrant") && principalMatches(grant.GranteePrincipal, caller.principalArn)) return true;
    if (!caller.root) return false;
    const retiringAccount = grant.RetiringPrincipal?.match(/^(\d{12})$|^arn:aws[a-z-]*:iam::(\d{12}):root$/);
    return grant.IssuingAccount === `arn:aws:iam::${caller.account}:root` || (retiringAccount?.[1] ?? retiringAccount?.[2]) === caller.account;
  }

  delete(grant: GrantRecord): void {
    this.ring.store.grants(this.scopeOf({ Arn: grant.KeyArn })).delete(grant.GrantId);
  }

  /** A deleted key's grants go with it. */
  deleteForKey(scope: Scope, keyId: string): void {
    const grants = this.ring.store.grants(scope);
    for (const grant of grants.values()) if (grant.KeyId === keyId) grants.delete(grant.GrantId);
  }
}
