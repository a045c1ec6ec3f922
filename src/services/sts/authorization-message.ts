/**
 * EC2's "Encoded authorization failure message": what a refused request
 * asked for and why it was refused, sealed (AES-256-GCM under a subkey of
 * Stratus's master key, bound to the account) so that only
 * sts:DecodeAuthorizationMessage in the same account reads it, as on AWS.
 */
import type { Cloud } from "../../cloud.js";
import { KeyWrapper } from "../kms/master-key.js";
import type { ConditionContext } from "../s3/access/conditions.js";

export interface AuthorizationFailure {
  account: string;
  principalArn: string;
  /** The caller's unique id (AIDA… for a user, AROA…:session for a role session). */
  principalId: string;
  action: string;
  resource: string;
  explicitDeny: boolean;
  context: ConditionContext;
}

const wrappers = new WeakMap<Cloud, KeyWrapper>();

function wrapper(cloud: Cloud): KeyWrapper {
  let found = wrappers.get(cloud);
  if (!found) wrappers.set(cloud, (found = new KeyWrapper(cloud, "sts-authorization-message")));
  return found;
}

/** The encoded message EC2 appends to UnauthorizedOperation. */
export function encodeAuthorizationFailure(cloud: Cloud, failure: AuthorizationFailure): string {
  return wrapper(cloud).wrap(Buffer.from(JSON.stringify(decoded(failure))), failure.account).toString("base64url");
}

/** The decoded JSON document, or undefined when the message was not made for this account (or was altered). */
export function decodeAuthorizationFailure(cloud: Cloud, account: string, encoded: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
  return wrapper(cloud).unwrap(Buffer.from(encoded, "base64url"), account)?.toString("utf8");
}

/** The document as DecodeAuthorizationMessage answers it. */
function decoded(failure: AuthorizationFailure): Record<string, unknown> {
  const name = /\/([^/]+)$/.exec(failure.principalArn)?.[1] ?? failure.principalArn;
  const conditions = Object.entries(failure.context)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => ({ key, values: { items: (Array.isArray(value) ? value : [value]).map((v) => ({ value: String(v) })) } }));
  return {
    allowed: false,
    explicitDeny: failure.explicitDeny,
    matchedStatements: { items: [] },
    failures: { items: [] },
    context: {
      principal: { id: failure.principalId, name, arn: failure.principalArn },
      action: failure.action,
      resource: failure.resource,
      conditions: { items: conditions },
    },
  };
}
