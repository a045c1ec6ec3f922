/**
 * The exercise's inference server (its Flask app, Part 1.2), for real:
 * GET /health, POST /predict with a multipart `image`, POST /reload. The
 * model comes from S3 and runs in the inference thread.
 */
import { appendFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { CredentialSource } from "./credentials.js";
import type { Normalization } from "./image-input.js";
import { UndecodableImage } from "./inference-worker.js";
import { softmax } from "./model-loader.js";
import { ModelHolder } from "./model-holder.js";
import { multipartBoundary, parseMultipart } from "./multipart.js";
import { S3Reader } from "./s3.js";
import type { AwsCredentials } from "./sigv4.js";

export interface WorkloadOptions {
  /** Default 0.0.0.0. */
  host?: string;
  /** Default 5000; 0 picks a free port. */
  port?: number;
  bucket: string;
  key: string;
  /** Default: labels.json beside the model. */
  labelsKey?: string;
  /** S3's endpoint, e.g. http://127.0.0.1:4566. */
  endpoint: string;
  region: string;
  /** Without them: the instance metadata service's role credentials. */
  credentials?: AwsCredentials;
  /** Default http://169.254.169.254. */
  imdsEndpoint?: string;
  /** Default "imagenet". */
  normalization?: Normalization;
  /** A file to append one JSON line per prediction to. */
  predictionsLog?: string;
  /** How often to retry loading while no model is loaded (default 30; 0 never). */
  reloadSeconds?: number;
  /** The largest request body (default 20 MiB); larger ones are answered 413. */
  maxBodyBytes?: number;
  /** Where lines go (one per request, and model loads); default nowhere. */
  log?: (line: string) => void;
}

export interface RunningWorkload {
  url: string;
  port: number;
  holder: ModelHolder;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY = 20 << 20;

class HttpError extends Error {
  constructor(readonly status: number, readonly body: Record<string, unknown>) {
    super(String(body.error));
  }
}

export async function startWorkload(options: WorkloadOptions): Promise<RunningWorkload> {
  const log = options.log ?? (() => undefined);
  const s3 = new S3Reader({
    endpoint: options.endpoint,
    region: options.region,
    credentials: new CredentialSource({ credentials: options.credentials, imdsEndpoint: options.imdsEndpoint }),
  });
  const holder = new ModelHolder(s3, { bucket: options.bucket, key: options.key, labelsKey: options.labelsKey }, options.reloadSeconds ?? 30, log);
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  /** Predictions handed to the inference thread and not yet answered. */
  let inferencesRunning = 0;

  const health = () => ({
    status: "healthy",
    model_loaded: holder.model !== undefined,
    model_version: holder.model?.version ?? null,
    model: holder.url,
    inferences_running: inferencesRunning,
    ...(holder.model ? {} : { error: holder.error }),
  });

  const predict = async (request: http.IncomingMessage, started: number) => {
    const body = await readBody(request, maxBody);
    const boundary = multipartBoundary(request.headers["content-type"]);
    const image = boundary ? parseMultipart(body, boundary).find((part) => part.name === "image") : undefined;
    if (!image || image.data.length === 0) throw new HttpError(400, { error: "No image provided" });
    const model = holder.model;
    if (!model) throw new HttpError(503, { error: "Model not loaded", model: holder.url, reason: holder.error });
    let logits: Float32Array;
    inferencesRunning++;
    try {
      ({ logits } = await holder.worker.predict(image.data, options.normalization ?? "imagenet"));
    } catch (error) {
      if (error instanceof UndecodableImage) throw new HttpError(415, { error: `Cannot decode the image: ${error.message}` });
      throw error;
    } finally {
      inferencesRunning--;
    }
    const ranked = softmax(logits)
      .map((confidence, index) => ({ label: model.labels[index], confidence }))
      .sort((a, b) => b.confidence - a.confidence);
    const latency = Math.round((performance.now() - started) * 10) / 10;
    const answer = {
      prediction: ranked[0].label,
      confidence: ranked[0].confidence,
      model_version: model.version,
      top5: ranked.slice(0, 5),
      latency_ms: latency,
    };
    if (options.predictionsLog) {
      const line = { time: new Date().toISOString(), prediction: answer.prediction, confidence: answer.confidence, model_version: model.version, latency_ms: latency };
      await appendFile(options.predictionsLog, JSON.stringify(line) + "\n").catch((error) => log(`cannot write ${options.predictionsLog}: ${error.message}`));
    }
    return answer;
  };

  const routes: Record<string, Record<string, (request: http.IncomingMessage, started: number) => Promise<[number, unknown]>>> = {
    "/health": { GET: async () => [200, health()] },
    "/predict": { POST: async (request, started) => [200, await predict(request, started)] },
    "/reload": {
      POST: async () => {
        await holder.reload();
        return [holder.model ? 200 : 503, health()];
      },
    },
  };

  const server = http.createServer(async (request, response) => {
    const started = performance.now();
    const path = (request.url ?? "/").split("?")[0];
    let status: number;
    let body: unknown;
    try {
      const route = routes[path];
      if (!route) throw new HttpError(404, { error: `Not found: ${path}` });
      const handler = route[request.method ?? ""];
      if (!handler) throw new HttpError(405, { error: `Method ${request.method} not allowed on ${path}` });
      [status, body] = await handler(request, started);
    } catch (error) {
      status = error instanceof HttpError ? error.status : 500;
      body = error instanceof HttpError ? error.body : { error: (error as Error).message };
    }
    const text = JSON.stringify(body);
    // A body left unread (404, 405) is drained, so that the connection can serve the next request.
    if (!request.complete) request.resume();
    response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    response.end(text);
    log(`${new Date().toISOString()} ${request.socket.remoteAddress ?? "-"} ${request.method} ${request.url} ${status} ${(performance.now() - started).toFixed(1)}ms`);
  });

  // Idle keep-alive connections stay open longer than clients keep them (Node's default 5 s races
  // a client reusing the socket as the server closes it: ECONNRESET), as load balancers do.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 5000, options.host ?? "0.0.0.0", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host && options.host !== "0.0.0.0" && options.host !== "::" ? options.host : "127.0.0.1";
  void holder.reload();
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    holder,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await holder.close();
    },
  };
}

/**
 * The request body, or a 413 when it passes `limit`: the rest is read and
 * discarded (a client still sending would not see an answer given sooner).
 */
function readBody(request: http.IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, { error: `The request body is larger than ${limit} bytes` });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on("end", () => (size > limit ? reject(tooLarge()) : resolve(Buffer.concat(chunks))));
    request.on("error", reject);
  });
}
