/** One options object configures a Stratus instance (CLI flags and env vars map onto it). */
import type { ClockMode } from "./clock/clock.js";
import type { ServiceDefinition } from "./services/types.js";

export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
  /** The account this key belongs to; defaults to the 12-digit rule or 000000000000. */
  account?: string;
}

export interface StratusOptions {
  host?: string;
  /** 0 picks a free port. Default 4566. */
  port?: number;
  /** "disk" keeps state in dataDir (default); "memory" keeps nothing after stop. */
  storage?: "disk" | "memory";
  /** Default ./.stratus */
  dataDir?: string;
  clock?: ClockMode;
  /** Initial time of a virtual clock. */
  clockStart?: Date | string | number;
  /** "off" accepts any credentials (default); "strict" verifies SigV4 signatures. */
  auth?: "off" | "strict";
  /** Credentials accepted in strict mode (plus those in credentialsFile and issued by STS). */
  credentials?: Credential[];
  /** An AWS-style INI credentials file for strict mode. */
  credentialsFile?: string;
  /** "silent" for tests; "info" logs one line per request. */
  logLevel?: "silent" | "info" | "debug";
  /** Default region for requests that carry none. */
  defaultRegion?: string;
  /** The services to serve instead of Stratus's own (tests inject echo services here). */
  services?: readonly ServiceDefinition[];
  /** "mock" (default): instances follow a model; "namespaces": they run, as Linux namespaces (root only). */
  runtime?: "mock" | "namespaces";
}

export interface ResolvedOptions {
  host: string;
  port: number;
  storage: "disk" | "memory";
  dataDir: string | undefined;
  clock: ClockMode;
  clockStart: number | undefined;
  auth: "off" | "strict";
  credentials: Credential[];
  credentialsFile: string | undefined;
  logLevel: "silent" | "info" | "debug";
  defaultRegion: string;
  runtime: "mock" | "namespaces";
}

export function resolveOptions(options: StratusOptions): ResolvedOptions {
  const storage = options.storage ?? "disk";
  let clockStart: number | undefined;
  if (options.clockStart !== undefined) {
    clockStart = new Date(options.clockStart).getTime();
    if (Number.isNaN(clockStart)) throw new Error(`invalid clockStart: ${String(options.clockStart)}`);
  }
  return {
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 4566,
    storage,
    dataDir: storage === "memory" ? undefined : options.dataDir ?? ".stratus",
    clock: options.clock ?? "system",
    clockStart,
    auth: options.auth ?? "off",
    credentials: options.credentials ?? [],
    credentialsFile: options.credentialsFile,
    logLevel: options.logLevel ?? "silent",
    defaultRegion: options.defaultRegion ?? "us-east-1",
    runtime: options.runtime ?? "mock",
  };
}
