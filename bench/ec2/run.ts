/**
 * bench/ec2: DescribeInstances with a tag filter over 10,000 instances,
 * Stratus vs moto_server, in one run.
 *
 *   npm run bench:ec2 -- [--instances 10000] [--rounds 5] [--calls 10] [--no-moto] [--json FILE]
 *
 * Both servers get the same fleet: batches of 500 instances (RunInstances
 * MaxCount=500), each batch tagged Project=proj-<batch % 10>, so the filter
 * tag:Project=proj-3 matches a tenth of them. The measured call is the SDK's
 * DescribeInstances with that filter (one response, no MaxResults). Rounds
 * alternate between the servers so background load hits both alike; medians
 * are reported with the ratio. Stratus runs with a data dir (its default,
 * persistent mode).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { freePort, stopServer, waitReady } from "../support.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const INSTANCES = Number(option("instances", "10000"));
const ROUNDS = Number(option("rounds", "5"));
const CALLS = Number(option("calls", "10"));
const NO_MOTO = args.includes("--no-moto");
const JSON_OUT = option("json", "");
const BATCH = 500;
const PROJECTS = 10;

interface Server {
  name: string;
  proc: ChildProcess;
  client: EC2Client;
  dir: string;
}

async function start(name: "stratus" | "moto"): Promise<Server> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), `bench-ec2-${name}-`));
  const proc =
    name === "stratus"
      ? spawn(process.execPath, [path.join(ROOT, "bin/stratus.cjs"), "start", "--port", String(port), "--data-dir", dir, "--quiet"], { stdio: "ignore" })
      : spawn("moto_server", ["-p", String(port)], { stdio: "ignore", env: { ...process.env, PYTHONWARNINGS: "ignore" } });
  await waitReady(port, proc, name, 600);
  const client = new EC2Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  return { name, proc, client, dir };
}

async function populate(server: Server): Promise<number> {
  const { Images } = await server.client.send(new DescribeImagesCommand({ Owners: ["099720109477", "amazon"] }));
  const image = Images!.find((i) => i.Architecture === "x86_64") ?? Images![0];
  const started = performance.now();
  for (let launched = 0, batch = 0; launched < INSTANCES; batch++) {
    const count = Math.min(BATCH, INSTANCES - launched);
    await server.client.send(
      new RunInstancesCommand({
        ImageId: image.ImageId,
        InstanceType: "t3.micro",
        MinCount: count,
        MaxCount: count,
        TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Project", Value: `proj-${batch % PROJECTS}` }, { Key: "Batch", Value: String(batch) }] }],
      }),
    );
    launched += count;
  }
  return performance.now() - started;
}

/** One round: CALLS filtered DescribeInstances; returns the median ms and the instances matched. */
async function round(server: Server): Promise<{ ms: number; matched: number }> {
  const times: number[] = [];
  let matched = 0;
  for (let i = 0; i < CALLS; i++) {
    const t = performance.now();
    const out = await server.client.send(new DescribeInstancesCommand({ Filters: [{ Name: "tag:Project", Values: ["proj-3"] }] }));
    times.push(performance.now() - t);
    matched = out.Reservations!.reduce((n, r) => n + r.Instances!.length, 0);
  }
  return { ms: median(times), matched };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  const servers: Server[] = [await start("stratus")];
  if (!NO_MOTO) servers.push(await start("moto"));
  const results: Record<string, { populateMs: number; rounds: number[]; matched: number }> = {};
  try {
    for (const server of servers) {
      process.stderr.write(`populating ${server.name} with ${INSTANCES} instances...\n`);
      results[server.name] = { populateMs: await populate(server), rounds: [], matched: 0 };
      await round(server);
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const server of r % 2 ? [...servers].reverse() : servers) {
        const { ms, matched } = await round(server);
        results[server.name].rounds.push(ms);
        results[server.name].matched = matched;
        process.stderr.write(`round ${r + 1} ${server.name}: ${ms.toFixed(1)} ms\n`);
      }
    }
  } finally {
    // A server still shutting down may write into its directory: remove it once the process has exited.
    for (const server of servers) await stopServer(server);
  }
  const stratusMs = median(results.stratus.rounds);
  console.log(`\nDescribeInstances, Filters tag:Project=proj-3, over ${INSTANCES} instances (${results.stratus.matched} match); median of ${ROUNDS} rounds x ${CALLS} calls\n`);
  console.log("| server | per call (median) | matched | populate (RunInstances x500) | vs moto |");
  console.log("|---|---:|---:|---:|---:|");
  const motoMs = results.moto ? median(results.moto.rounds) : undefined;
  for (const [name, r] of Object.entries(results)) {
    const ms = median(r.rounds);
    const ratio = motoMs ? `${(ms / motoMs).toFixed(2)}x` : "-";
    console.log(`| ${name} | ${ms.toFixed(1)} ms | ${r.matched} | ${(r.populateMs / 1000).toFixed(1)} s | ${ratio} |`);
  }
  if (motoMs) console.log(`\nStratus takes ${(stratusMs / motoMs).toFixed(2)}x moto's time (${(motoMs / stratusMs).toFixed(1)}x faster).`);
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ instances: INSTANCES, rounds: ROUNDS, calls: CALLS, results }, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
