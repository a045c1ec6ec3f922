/**
 * The `stratus` command: start the cloud, run the aws CLI against it, and
 * look at or change a running one (status, reset, clock), or serve the
 * exercise's inference workload.
 */
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Cloud, VERSION } from "../cloud.js";
import { resolveOptions, type StratusOptions } from "../config.js";
import { startStratus } from "../index.js";
import { StratusServer } from "../server/server.js";
import { parseArgs } from "./args.js";
import { createRequire } from "node:module";

const HELP = `stratus ${VERSION} — a free local cloud for ML infrastructure

Usage:
  stratus start [--host H] [--port P] [--data-dir DIR | --in-memory]
                [--clock system|virtual] [--clock-start TIME] [--auth off|strict]
                [--credentials-file FILE] [--runtime mock|namespaces] [--quiet | --verbose]
  stratus aws ARGS...            run the aws CLI against Stratus
  stratus status                 health of a running Stratus
  stratus reset                  delete every resource of a running Stratus
  stratus clock show             the clock of a running Stratus
  stratus clock advance 30d      jump a virtual clock forward (s, m, h, d, w)
  stratus clock set 2027-01-01T00:00:00Z
  stratus workload [--port P] [--bucket B] [--key K]
                                 serve the exercise's ML inference API (port 5000)
                                 with the model in S3 (stratus workload --help)

Environment: STRATUS_HOST, STRATUS_PORT, STRATUS_DATA_DIR, STRATUS_STORAGE=memory,
STRATUS_CLOCK, STRATUS_AUTH, STRATUS_CREDENTIALS_FILE, STRATUS_RUNTIME, STRATUS_LOG_LEVEL; commands that
talk to a running Stratus use --endpoint URL or STRATUS_ENDPOINT (default http://127.0.0.1:4566).
`;

const BOOLEAN_FLAGS = new Set(["in-memory", "quiet", "verbose", "help"]);

function endpointFrom(flags: Record<string, string | true>): string {
  const flag = flags.endpoint;
  return (typeof flag === "string" ? flag : process.env.STRATUS_ENDPOINT ?? "http://127.0.0.1:4566").replace(/\/+$/, "");
}

async function call(endpoint: string, method: string, route: string, body?: unknown): Promise<any> {
  let response: Response;
  try {
    response = await fetch(`${endpoint}${route}`, {
      method,
      headers: body ? { "content-type": "application/json" } : undefined,
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new Error(`no Stratus answers at ${endpoint} (start one with: stratus start)`);
  }
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : {};
  if (!response.ok) throw new Error(parsed.message ?? `${response.status} ${response.statusText}`);
  return parsed;
}

function optionsFrom(flags: Record<string, string | true>): StratusOptions {
  const env = process.env;
  const str = (name: string, envName: string) => (typeof flags[name] === "string" ? (flags[name] as string) : env[envName]);
  const port = str("port", "STRATUS_PORT");
  const inMemory = flags["in-memory"] === true || env.STRATUS_STORAGE === "memory";
  const clock = str("clock", "STRATUS_CLOCK");
  if (clock && clock !== "system" && clock !== "virtual") throw new Error("--clock must be system or virtual");
  const auth = str("auth", "STRATUS_AUTH");
  if (auth && auth !== "off" && auth !== "strict") throw new Error("--auth must be off or strict");
  const runtime = str("runtime", "STRATUS_RUNTIME");
  if (runtime && runtime !== "mock" && runtime !== "namespaces") throw new Error("--runtime must be mock or namespaces");
  const level = flags.quiet ? "silent" : flags.verbose ? "debug" : (env.STRATUS_LOG_LEVEL as StratusOptions["logLevel"]) ?? "info";
  if (port !== undefined && !/^\d+$/.test(port)) throw new Error("--port must be a number");
  return {
    host: str("host", "STRATUS_HOST"),
    port: port !== undefined ? Number(port) : undefined,
    storage: inMemory ? "memory" : "disk",
    dataDir: str("data-dir", "STRATUS_DATA_DIR"),
    clock: clock as StratusOptions["clock"],
    clockStart: str("clock-start", "STRATUS_CLOCK_START"),
    auth: auth as StratusOptions["auth"],
    credentialsFile: str("credentials-file", "STRATUS_CREDENTIALS_FILE"),
    runtime: runtime as StratusOptions["runtime"],
    logLevel: level,
  };
}

async function start(flags: Record<string, string | true>): Promise<void> {
  const options = optionsFrom(flags);
  const stratus = await startStratus(options);
  const data = options.storage === "memory" ? "in memory" : path.resolve(options.dataDir ?? ".stratus");
  const strict = stratus.cloud.options.auth === "strict";
  const credentials = strict
    ? "AWS_ACCESS_KEY_ID=<a key Stratus knows> AWS_SECRET_ACCESS_KEY=<its secret>"
    : "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test";
  process.stdout.write(
    `Stratus ${VERSION} listening on ${stratus.endpoint}\n` +
      `  state: ${data}; clock: ${stratus.clock.mode}; auth: ${stratus.cloud.options.auth}; instances: ${stratus.cloud.options.runtime}\n` +
      `Point the aws CLI at it:\n` +
      `  export AWS_ENDPOINT_URL=${stratus.endpoint} ${credentials} AWS_DEFAULT_REGION=us-east-1\n` +
      `  or, with any aws CLI version: stratus aws s3 ls\n`,
  );
  if (strict && stratus.cloud.identity.knownCount === 0) {
    process.stderr.write("warning: --auth strict with no credentials: give --credentials-file FILE or STRATUS_ACCESS_KEY_ID/STRATUS_SECRET_ACCESS_KEY\n");
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await stratus.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

function hasAwsCredentials(): boolean {
  const env = process.env;
  if (env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE) return true;
  const file = env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(os.homedir(), ".aws", "credentials");
  return existsSync(file);
}

function hasAwsRegion(): boolean {
  const env = process.env;
  if (env.AWS_REGION || env.AWS_DEFAULT_REGION || env.AWS_PROFILE) return true;
  return existsSync(env.AWS_CONFIG_FILE ?? path.join(os.homedir(), ".aws", "config"));
}

async function runAws(args: string[], flags: Record<string, string | true>): Promise<number> {
  // Loaded here, not at start-up: `stratus start` never needs it.
  const { spawn } = createRequire(import.meta.url)("node:child_process") as typeof import("node:child_process");
  const endpoint = endpointFrom(flags);
  const env = { ...process.env };
  if (!hasAwsCredentials()) {
    env.AWS_ACCESS_KEY_ID = "test";
    env.AWS_SECRET_ACCESS_KEY = "test";
  }
  if (!hasAwsRegion()) env.AWS_DEFAULT_REGION = "us-east-1";
  env.AWS_ENDPOINT_URL = endpoint;
  const binary = env.STRATUS_AWS_CLI ?? "aws";
  return new Promise((resolve) => {
    const child = spawn(binary, ["--endpoint-url", endpoint, ...args], { stdio: "inherit", env });
    child.on("error", (error) => {
      process.stderr.write(`could not run '${binary}': ${error.message} (install the aws CLI, e.g. apt-get install awscli)\n`);
      resolve(127);
    });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "aws") {
    // Everything after `aws` belongs to the aws CLI, except a leading --endpoint for Stratus.
    const flags: Record<string, string | true> = {};
    if (rest[0] === "--endpoint" && rest[1]) {
      flags.endpoint = rest[1];
      rest.splice(0, 2);
    }
    return runAws(rest, flags);
  }
  if (command === "workload") {
    // Loaded here, not at start-up: only this command needs it.
    const { runWorkload } = await import("../workload/command.js");
    process.exit(await runWorkload(rest));
  }
  const { flags, positionals } = parseArgs(rest, BOOLEAN_FLAGS);
  switch (command) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(HELP);
      return 0;
    case "version":
    case "--version":
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case "start":
      await start(flags);
      return -1;
    case "status": {
      const health = await call(endpointFrom(flags), "GET", "/_stratus/health");
      process.stdout.write(JSON.stringify(health, null, 2) + "\n");
      return 0;
    }
    case "reset":
      await call(endpointFrom(flags), "POST", "/_stratus/reset");
      process.stdout.write("all state deleted\n");
      return 0;
    case "clock": {
      const [action, value] = positionals;
      const endpoint = endpointFrom(flags);
      let clock;
      if (!action || action === "show") clock = await call(endpoint, "GET", "/_stratus/clock");
      else if (action === "advance" && value) clock = await call(endpoint, "POST", "/_stratus/clock", { advance: value });
      else if (action === "set" && value) clock = await call(endpoint, "POST", "/_stratus/clock", { set: value });
      else throw new Error("usage: stratus clock show | advance 30d | set 2027-01-01T00:00:00Z");
      process.stdout.write(`${clock.now} (${clock.mode} clock, ${clock.pendingJobs} scheduled jobs)\n`);
      return 0;
    }
    default:
      process.stderr.write(`unknown command: ${command}\n\n${HELP}`);
      return 2;
  }
}

/**
 * Runs what start-up and a first request run, for the build to warm the
 * bundle's V8 code cache: an in-memory Stratus and one STS call. The cache is
 * saved before the other providers load (nothing here starts the cloud; a
 * /_stratus request would), so that it holds the path to the first answer
 * only (deserializing a cache costs in proportion to its size); they compile
 * after start-up, while Stratus already answers.
 */
export async function warmUp(saveCache: () => void = () => undefined): Promise<void> {
  const cloud = new Cloud(resolveOptions({ storage: "memory", logLevel: "silent" }));
  const server = new StratusServer(cloud);
  try {
    const { port } = await server.listen(0, "127.0.0.1");
    const endpoint = `http://127.0.0.1:${port}`;
    const auth = "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=" + "0".repeat(64);
    await fetch(`${endpoint}/`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: auth },
      body: "Action=GetCallerIdentity&Version=2011-06-15",
    }).then((r) => r.text());
    saveCache();
  } finally {
    await server.close();
    await cloud.stop();
  }
}
