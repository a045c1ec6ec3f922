/**
 * Test support: an in-process Stratus on port 0 with in-memory state, and the
 * real clients pointed at it (SDK v3 config, and the aws CLI by path).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { startStratus, type RunningStratus, type StratusOptions } from "../../src/index.js";

export const CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

export async function startTestStratus(options: StratusOptions = {}): Promise<RunningStratus> {
  return startStratus({ port: 0, storage: "memory", logLevel: "silent", ...options });
}

/** Config for any SDK v3 client. */
export function sdkConfig(stratus: RunningStratus, region = "us-east-1") {
  return { endpoint: stratus.endpoint, region, credentials: CREDENTIALS, maxAttempts: 1 };
}

/** Debian's aws CLI v2 (the one tests name); the pip v1 is used only where a test says so. */
export const AWS_CLI_V2 = "/usr/bin/aws";

/** The pip-installed aws CLI v1, if present. */
export const AWS_CLI_V1 = ["/root/.pyenv/shims/aws", "/usr/local/bin/aws"].find((p) => existsSync(p) && p !== AWS_CLI_V2);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json(): any;
}

export function awsCli(
  stratus: RunningStratus,
  args: string[],
  options: { binary?: string; region?: string; env?: Record<string, string>; cwd?: string; input?: string } = {},
): Promise<CliResult> {
  const binary = options.binary ?? AWS_CLI_V2;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: options.region ?? "us-east-1",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_PAGER: "",
    AWS_RETRY_MODE: "standard",
    AWS_MAX_ATTEMPTS: "1",
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ["--endpoint-url", stratus.endpoint, ...args], { env, cwd: options.cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
    child.on("close", (code) =>
      resolve({
        code: code ?? -1,
        stdout,
        stderr,
        json() {
          return JSON.parse(stdout);
        },
      }),
    );
  });
}

/** Runs a bash script with the aws CLI (v2 unless `binary` names another) pointed at Stratus, as a user would type the exercise. */
export function bash(
  stratus: RunningStratus,
  script: string,
  options: { cwd?: string; env?: Record<string, string>; region?: string; binary?: string } = {},
): Promise<CliResult> {
  const wrapper = `aws() { ${options.binary ?? AWS_CLI_V2} --endpoint-url ${stratus.endpoint} "$@"; }\nexport -f aws\nset -e\n${script}`;
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", wrapper], {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: process.env.HOME ?? "/root",
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        AWS_DEFAULT_REGION: options.region ?? "us-east-1",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_PAGER: "",
        AWS_MAX_ATTEMPTS: "1",
        ...options.env,
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr, json: () => JSON.parse(stdout) }));
  });
}

/** The pip python with boto3 (botocore 1.43), if present. */
export const PYTHON = "/root/.pyenv/versions/3.11.7/bin/python3";
let boto3Present: boolean | undefined;
/** Whether boto3 can be imported (checked once, on first ask). */
export function hasBoto3(): boolean {
  boto3Present ??= existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import boto3"]).status === 0;
  return boto3Present;
}

/**
 * Runs a python script with boto3 against Stratus. The script gets `client(name)`
 * (a boto3 client pointed at Stratus, no retries), `call(label, fn)` which records
 * fn's result or its error as botocore reports it (`{"error": {Code, Message, ...},
 * "status": N}`), and `out`, a dict printed as JSON at the end; the promise
 * resolves to that dict.
 */
export async function boto3(stratus: RunningStratus, script: string, region = "us-east-1"): Promise<Record<string, any>> {
  const prelude = `
import json, sys, datetime, boto3, botocore
from botocore.config import Config
out = {}
def client(name, **kw):
    return boto3.client(name, endpoint_url=${JSON.stringify(stratus.endpoint)}, region_name=${JSON.stringify(region)},
        aws_access_key_id=kw.pop("key", "${CREDENTIALS.accessKeyId}"), aws_secret_access_key=kw.pop("secret", "${CREDENTIALS.secretAccessKey}"),
        aws_session_token=kw.pop("token", None), config=Config(retries={"max_attempts": 1}), **kw)
def call(label, fn):
    try:
        r = fn()
        r.pop("ResponseMetadata", None)
        out[label] = r
    except botocore.exceptions.ClientError as e:
        out[label] = {"error": e.response["Error"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
    return out[label]
`;
  const epilogue = "\nprint(json.dumps(out, default=str))\n";
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ["-c", prelude + script + epilogue], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`boto3 script failed (${code}): ${stderr}`));
      else {
        try {
          resolve(JSON.parse(stdout.trim().split("\n").pop()!));
        } catch {
          reject(new Error(`boto3 script printed no JSON: ${stdout} ${stderr}`));
        }
      }
    });
  });
}
