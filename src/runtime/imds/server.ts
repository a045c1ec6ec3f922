/**
 * The instance metadata service: one HTTP listener on 169.254.169.254:80 of
 * the host, reached by every instance through its own link; the source
 * address says which instance asks. IMDSv2 sessions (PUT /latest/api/token
 * with a TTL, then the token on each GET) and IMDSv1 (no token, unless the
 * instance's HttpTokens is "required"), as EC2 answers them.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import { listenOnImdsAddress } from "../network.js";
import { lookup, type ImdsInstance, type RoleCredentials, type RoleRefusal } from "./metadata.js";

export interface ImdsSource {
  /** The instance holding this private address, if any. */
  byAddress(address: string): ImdsInstance | undefined;
  /** Credentials of the instance's role (cached by the caller until close to expiry), or why EC2 may not assume it. */
  credentials(instance: ImdsInstance): RoleCredentials | RoleRefusal | undefined;
}

const NOT_FOUND = `<?xml version="1.0" encoding="iso-8859-1"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
\t"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">
 <head>
  <title>404 - Not Found</title>
 </head>
 <body>
  <h1>404 - Not Found</h1>
 </body>
</html>
`;

export class ImdsServer {
  private server: http.Server | undefined;
  /** token → the instance it was issued to and when it expires (wall time: sessions are the instance's, not the cloud's). */
  private readonly tokens = new Map<string, { instanceId: string; expires: number }>();

  constructor(private readonly source: ImdsSource, private readonly port = 80) {}

  listen(): Promise<void> {
    if (this.server) return Promise.resolve();
    this.server = http.createServer((req, res) => this.handle(req, res));
    return listenOnImdsAddress(this.server, this.port);
  }

  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const send = (status: number, body: string | Buffer, type = "text/plain") => {
      res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), server: "EC2ws" });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    req.resume();
    const address = (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    const instance = this.source.byAddress(address);
    if (!instance) return send(404, NOT_FOUND, "text/html");
    if (instance.httpEndpoint === "disabled") return send(403, "", "text/plain");
    const path = (req.url ?? "/").split("?")[0];

    if (path === "/latest/api/token") {
      if (req.method !== "PUT") return send(405, "", "text/plain");
      if (req.headers["x-forwarded-for"] !== undefined) return send(403, "", "text/plain");
      const ttl = Number(req.headers["x-aws-ec2-metadata-token-ttl-seconds"]);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return send(400, "", "text/plain");
      const token = randomBytes(42).toString("base64url").slice(0, 56);
      this.tokens.set(token, { instanceId: instance.instanceId, expires: Date.now() + ttl * 1000 });
      this.prune();
      res.setHeader("x-aws-ec2-metadata-token-ttl-seconds", String(ttl));
      return send(200, token);
    }
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "", "text/plain");
    const token = req.headers["x-aws-ec2-metadata-token"];
    if (typeof token === "string") {
      const session = this.tokens.get(token);
      if (!session || session.instanceId !== instance.instanceId || session.expires < Date.now()) return send(401, "", "text/plain");
      res.setHeader("x-aws-ec2-metadata-token-ttl-seconds", String(Math.max(0, Math.floor((session.expires - Date.now()) / 1000))));
    } else if (instance.httpTokens === "required") return send(401, "", "text/plain");

    const body = lookup(instance, path, () => this.source.credentials(instance));
    if (body === undefined) return send(404, NOT_FOUND, "text/html");
    send(200, body, Buffer.isBuffer(body) ? "application/octet-stream" : "text/plain");
  }

  private prune(): void {
    if (this.tokens.size < 10_000) return;
    const now = Date.now();
    for (const [token, session] of this.tokens) if (session.expires < now) this.tokens.delete(token);
  }
}
