/**
 * The one endpoint: a node:http listener that runs each request through the
 * handler chain, turns every failure into an AWS-shaped error, and never
 * answers HTML or crashes on bad input.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Cloud } from "../cloud.js";
import { AwsError, CommonErrors, isAwsError } from "../core/errors.js";
import { requestId as newRequestId } from "../core/ids.js";
import { DEFAULT_CHAIN, type Step } from "./chain.js";
import { Exchange } from "./exchange.js";
import { handleInternal } from "./internal.js";
import { NodeHttpRequest } from "./request.js";
import { genericError, writeResponse } from "./respond.js";
import { firstRequestMark } from "../core/startup-trace.js";

export class StratusServer {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private inFlight = 0;
  /** When the last request started or ended (or the server began listening). */
  private lastActivity = performance.now();

  constructor(
    private readonly cloud: Cloud,
    private readonly chain: Step[] = DEFAULT_CHAIN,
  ) {
    this.server = http.createServer({ maxHeaderSize: 64 * 1024, requestTimeout: 0, keepAliveTimeout: 65_000 }, (req, res) => {
      void this.handle(req, res);
    });
    // Expect: 100-continue — the go-ahead waits until the body is read (NodeHttpRequest).
    this.server.on("checkContinue", (req: http.IncomingMessage, res: http.ServerResponse) => {
      void this.handle(req, res, true);
    });
    // AWS ignores an Expect header it does not know ("Expect: 200", an empty one); Node would answer 417.
    this.server.on("checkExpectation", (req: http.IncomingMessage, res: http.ServerResponse) => {
      void this.handle(req, res);
    });
    this.server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    this.server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable) return socket.destroy();
      const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
      const code = tooLarge ? "RequestHeaderSectionTooLarge" : "BadRequest";
      const status = tooLarge ? 431 : 400;
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${tooLarge ? "Your request header section exceeds the maximum allowed size." : "The HTTP request could not be parsed."}</Message></Error>`;
      socket.end(`HTTP/1.1 ${status} ${tooLarge ? "Request Header Fields Too Large" : "Bad Request"}\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        this.lastActivity = performance.now();
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  /**
   * Resolves once no request is being served and none has come for `quietMs`,
   * or at `deadline` (performance.now() time) whatever the traffic.
   */
  async idle(quietMs = 0, deadline = Infinity): Promise<void> {
    for (;;) {
      const now = performance.now();
      const quietFor = now - this.lastActivity;
      if ((this.inFlight === 0 && quietFor >= quietMs) || now >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(quietMs - quietFor, deadline - now))));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse, expectsContinue = false): Promise<void> {
    this.inFlight++;
    this.lastActivity = performance.now();
    try {
      await this.serve(req, res, expectsContinue);
    } finally {
      this.inFlight--;
      this.lastActivity = performance.now();
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> {
    firstRequestMark("received");
    const requestId = newRequestId();
    const request = new NodeHttpRequest(req, expectsContinue ? res : undefined);
    const exchange = new Exchange(requestId, req, res, request);
    exchange.receivedAt = this.cloud.clock.now();
    req.on("error", () => undefined);
    res.on("error", () => undefined);
    try {
      if (request.rawPath.startsWith("/_stratus/") || request.rawPath === "/_stratus") {
        exchange.response = await handleInternal(request, this.cloud, requestId);
        exchange.wantedService = "_stratus";
      } else {
        for (const step of this.chain) {
          if ((await step(exchange, this.cloud)) === "done" || exchange.response) break;
        }
      }
    } catch (error) {
      exchange.response = this.errorResponse(exchange, error);
    }
    if (!exchange.response) exchange.response = this.errorResponse(exchange, CommonErrors.internal("no response"));
    request.drain();
    await writeResponse(res, exchange.response, request.method);
    firstRequestMark("answered");
    this.logLine(exchange);
    this.completed(exchange);
  }

  /** Tells the service's provider about the answered request (S3 server access logs). */
  private completed(ex: Exchange): void {
    const definition = ex.definition;
    if (!definition || !ex.response) return;
    try {
      const provider = this.cloud.loadedProvider(definition.name);
      if (!provider?.onRequestCompleted) return;
      const length = Number(ex.response.headers["content-length"]);
      provider.onRequestCompleted({
        requestId: ex.requestId,
        request: ex.http,
        operation: ex.operation?.name,
        input: ex.input,
        account: ex.account,
        principalArn: ex.principalArn,
        anonymous: !ex.accessKeyId,
        region: ex.region,
        sourceIp: ex.http.socketAddress,
        status: ex.response.status,
        errorCode: ex.errorCode,
        bytesSent: Number.isFinite(length) ? length : undefined,
        totalMs: Number(process.hrtime.bigint() - ex.startedAt) / 1e6,
        receivedAt: ex.receivedAt,
        responseHeaders: ex.response.headers,
      });
    } catch (error) {
      this.cloud.log.error(`[${ex.requestId}] request completion hook failed`, error);
    }
  }

  private errorResponse(ex: Exchange, error: unknown) {
    let awsError: AwsError;
    if (isAwsError(error)) awsError = error;
    else {
      this.cloud.log.error(`[${ex.requestId}] ${ex.label} failed`, error);
      awsError = CommonErrors.internal(error instanceof Error ? error.message : String(error));
    }
    ex.errorCode = awsError.code;
    if (ex.protocol && ex.model) {
      try {
        const response = ex.protocol.serializeError(ex.model, ex.operation, awsError, ex.requestId);
        Object.assign(response.headers, awsError.headers);
        // A query-compatible service keeps its query-protocol status (404, 409...) on the json and
        // cbor wire only for clients that say `x-amzn-query-mode: true` (SDKs and botocore do);
        // to any other client every client error is a 400.
        if (
          ex.model.metadata.awsQueryCompatible !== undefined &&
          ex.protocol.name !== "query" &&
          response.status > 400 &&
          response.status < 500 &&
          (ex.http.headers["x-amzn-query-mode"] ?? "").toLowerCase() !== "true"
        ) {
          response.status = 400;
        }
        return response;
      } catch (serializeFailure) {
        this.cloud.log.error(`[${ex.requestId}] could not serialize error`, serializeFailure);
      }
    }
    return genericError(ex.http, awsError, ex.requestId);
  }

  private logLine(ex: Exchange): void {
    const ms = Number(process.hrtime.bigint() - ex.startedAt) / 1e6;
    this.cloud.log.info(`${ex.http.method} ${ex.label} ${ex.response?.status ?? "-"} ${ms.toFixed(1)}ms ${ex.requestId}`);
  }
}
