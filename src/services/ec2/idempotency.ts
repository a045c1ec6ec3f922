/**
 * ClientToken idempotency (RunInstances, CreateVolume, RequestSpotInstances):
 * a request repeated with the same token returns the first one's resources;
 * the same token with other parameters is IdempotentParameterMismatch, as in
 * EC2. Each token remembers a fingerprint of the request that used it and the
 * ids it created.
 */
import { crypto } from "../../core/crypto.js";
import type { Scope } from "../../state/documents.js";
import { Ec2Errors } from "./errors.js";
import type { Ec2State } from "./state.js";

interface TokenRecord {
  fingerprint: string;
  ids: string[];
}

/** The request's parameters, without the token itself and DryRun, as a stable digest. */
function fingerprintOf(input: object): string {
  const { ClientToken: _token, DryRun: _dryRun, ...rest } = input as Record<string, unknown>;
  return crypto().createHash("sha256").update(JSON.stringify(rest)).digest("hex");
}

export class ClientTokens {
  constructor(private readonly state: Ec2State) {}

  private collection(scope: Scope) {
    return this.state.collection<TokenRecord>("client-tokens", scope);
  }

  /**
   * The ids an earlier request with this token created, or undefined for a new
   * token. Throws IdempotentParameterMismatch when the parameters differ.
   */
  earlier(scope: Scope, operation: string, token: string | undefined, input: object): string[] | undefined {
    if (!token) return undefined;
    const record = this.collection(scope).get(`${operation}/${token}`);
    if (!record) return undefined;
    if (record.fingerprint !== fingerprintOf(input)) throw Ec2Errors.idempotentParameterMismatch();
    return record.ids;
  }

  remember(scope: Scope, operation: string, token: string | undefined, input: object, ids: string[]): void {
    if (!token) return;
    this.collection(scope).put(`${operation}/${token}`, { fingerprint: fingerprintOf(input), ids });
  }
}
