/**
 * Helpers for the EC2 suites: a Stratus on a virtual clock with an EC2
 * client, an IAM instance profile for launches, and a bash runner for the
 * exercise's commands in which `aws ec2 wait ...` first moves the virtual
 * clock past the transition (the commands themselves run verbatim).
 */
import { spawn } from "node:child_process";
import { EC2Client } from "@aws-sdk/client-ec2";
import { AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import type { RunningStratus, StratusOptions } from "../../src/index.js";
import { AWS_CLI_V2, CREDENTIALS, sdkConfig, startTestStratus, type CliResult } from "../support/stratus.js";

export async function startEc2(options: StratusOptions = {}): Promise<{ stratus: RunningStratus; ec2: EC2Client }> {
  const stratus = await startTestStratus({ clock: "virtual", ...options });
  return { stratus, ec2: new EC2Client(sdkConfig(stratus)) };
}

export const TRUST_EC2 = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

/** Creates a role and an instance profile holding it, through IAM's API. */
export async function createInstanceProfile(stratus: RunningStratus, name: string): Promise<string> {
  const iam = new IAMClient(sdkConfig(stratus));
  const roleName = `${name}-role`;
  await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: TRUST_EC2 }));
  const created = await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name }));
  await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: roleName }));
  return created.InstanceProfile!.Arn!;
}

/**
 * Runs a script as the exercise is typed, with the aws CLI pointed at
 * Stratus. Before each `aws ec2 wait`, the virtual clock is moved forward by
 * `waitAdvance` so the awaited state is reached by the waiter's first poll.
 */
export function exerciseBash(stratus: RunningStratus, script: string, options: { cwd?: string; waitAdvance?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const advance = options.waitAdvance ?? "30s";
  const wrapper = [
    `aws() {`,
    `  if [ "$1" = "ec2" ] && [ "$2" = "wait" ]; then`,
    `    curl -s -o /dev/null -X POST ${stratus.endpoint}/_stratus/clock -H 'content-type: application/json' -d '{"advance":"${advance}"}'`,
    `  fi`,
    `  ${AWS_CLI_V2} --endpoint-url ${stratus.endpoint} "$@"`,
    `}`,
    `export -f aws`,
    `set -e`,
    script,
  ].join("\n");
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", wrapper], {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: options.env?.HOME ?? process.env.HOME ?? "/root",
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        AWS_DEFAULT_REGION: "us-east-1",
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

/** An error's AWS code and HTTP status from an SDK v3 rejection. */
export function errorOf(error: unknown): { code: string; status: number; message: string } {
  const e = error as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return { code: e.Code ?? e.name ?? "", status: e.$metadata?.httpStatusCode ?? 0, message: e.message ?? "" };
}

/** Asserts that a promise rejects with an EC2 error code (and optionally a message pattern). */
export async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    const got = errorOf(error);
    if (got.code !== code) throw new Error(`expected ${code}, got ${got.code}: ${got.message}`);
    if (message && !message.test(got.message)) throw new Error(`expected message ${message}, got: ${got.message}`);
    return;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

/** The newest Ubuntu 22.04 amd64 image id, as the exercise finds it. */
export const JAMMY_FILTER = "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*";
