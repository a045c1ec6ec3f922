/**
 * Where the server's AWS credentials come from: given ones (the environment's),
 * else the instance metadata service, IMDSv2 first (a session token), IMDSv1
 * if the token is refused. Role credentials are cached until shortly before
 * they expire.
 */
import type { AwsCredentials } from "./sigv4.js";

export const DEFAULT_IMDS_ENDPOINT = "http://169.254.169.254";
const TOKEN_TTL_SECONDS = "21600";
const IMDS_TIMEOUT_MS = 2000;
const REFRESH_BEFORE_MS = 5 * 60_000;

export class CredentialSource {
  private cached: AwsCredentials | undefined;

  constructor(private readonly options: { credentials?: AwsCredentials; imdsEndpoint?: string }) {}

  async get(): Promise<AwsCredentials> {
    if (this.options.credentials) return this.options.credentials;
    const cached = this.cached;
    if (cached && (!cached.expiration || cached.expiration.getTime() - REFRESH_BEFORE_MS > Date.now())) return cached;
    this.cached = await this.fromImds();
    return this.cached;
  }

  private async fromImds(): Promise<AwsCredentials> {
    const base = (this.options.imdsEndpoint ?? DEFAULT_IMDS_ENDPOINT).replace(/\/+$/, "");
    const call = async (method: string, path: string, headers: Record<string, string>) => {
      try {
        return await fetch(`${base}${path}`, { method, headers, signal: AbortSignal.timeout(IMDS_TIMEOUT_MS) });
      } catch (error) {
        throw new Error(`no AWS credentials: none in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and the instance metadata service at ${base} does not answer (${(error as Error).message})`);
      }
    };
    const tokenResponse = await call("PUT", "/latest/api/token", { "x-aws-ec2-metadata-token-ttl-seconds": TOKEN_TTL_SECONDS });
    const headers: Record<string, string> = {};
    if (tokenResponse.ok) headers["x-aws-ec2-metadata-token"] = await tokenResponse.text();
    else if (![403, 404, 405].includes(tokenResponse.status)) throw new Error(`the instance metadata service refused a token (${tokenResponse.status})`);
    const get = async (path: string) => {
      const response = await call("GET", path, headers);
      const text = await response.text();
      if (!response.ok) throw new Error(`the instance metadata service answered ${response.status} for ${path}`);
      return text;
    };
    const role = (await get("/latest/meta-data/iam/security-credentials/")).split("\n")[0].trim();
    if (!role) throw new Error("no AWS credentials: the instance has no IAM role (no instance profile)");
    const document = JSON.parse(await get(`/latest/meta-data/iam/security-credentials/${encodeURIComponent(role)}`));
    if (document.Code && document.Code !== "Success") throw new Error(`the instance role's credentials are unavailable (${document.Code})`);
    if (!document.AccessKeyId || !document.SecretAccessKey) throw new Error("the instance metadata service's credentials lack keys");
    return {
      accessKeyId: document.AccessKeyId,
      secretAccessKey: document.SecretAccessKey,
      sessionToken: document.Token,
      expiration: document.Expiration ? new Date(document.Expiration) : undefined,
    };
  }
}
