/**
 * An issuer's signing keys, found as OpenID Connect discovery publishes them:
 * <issuer>/.well-known/openid-configuration names a jwks_uri, which serves
 * {"keys": [...]}. Kept for an hour of Stratus's clock per issuer; a token
 * whose key is not among the kept ones makes STS fetch them again (the
 * issuer may have rotated its keys).
 */
import type { Cloud } from "../../cloud.js";
import type { Jwk } from "./jwt.js";

const KEEP_MS = 3_600_000;
const FETCH_TIMEOUT_MS = 5000;

export class JwksUnavailable extends Error {}

async function getJson(url: string): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: "application/json" }, redirect: "follow", signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (error) {
    throw new JwksUnavailable(`${url}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new JwksUnavailable(`${url}: HTTP ${response.status}`);
  try {
    const value = (await response.json()) as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new JwksUnavailable(`${url}: not a JSON object`);
}

export class JwksCache {
  private readonly kept = new Map<string, { keys: Jwk[]; at: number }>();

  constructor(private readonly cloud: Cloud) {}

  /** The issuer's keys, and whether they were just fetched; `fresh` fetches them whatever is kept. Throws JwksUnavailable. */
  async keys(issuer: string, fresh = false): Promise<{ keys: Jwk[]; fetched: boolean }> {
    const now = this.cloud.clock.now();
    const held = this.kept.get(issuer);
    if (held && !fresh && now - held.at < KEEP_MS && now >= held.at) return { keys: held.keys, fetched: false };
    const configuration = await getJson(`${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`);
    const jwksUri = configuration.jwks_uri;
    if (typeof jwksUri !== "string") throw new JwksUnavailable(`${issuer}: the openid-configuration has no jwks_uri`);
    const set = await getJson(jwksUri);
    if (!Array.isArray(set.keys)) throw new JwksUnavailable(`${jwksUri}: no "keys"`);
    const keys = (set.keys as unknown[]).filter((k): k is Jwk => !!k && typeof k === "object");
    this.kept.set(issuer, { keys, at: now });
    return { keys, fetched: true };
  }
}
