/**
 * Test support: an in-process Stratus on port 0 with in-memory state, and the
 * real clients pointed at it (SDK v3 config, and the aws CLI by path).
 */
import { spawn } from "node:child_process";
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
