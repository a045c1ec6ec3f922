/**
 * A Stratus in a child process (the real `bin/stratus.cjs start`) on a data
 * dir, so that a test can SIGKILL it, as a crash would, and start it again.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CREDENTIALS } from "../support/stratus.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export class ChildStratus {
  private child: ChildProcess | undefined;
  readonly dataDir: string;
  port = 0;

  constructor(private readonly args: string[] = [], dataDir?: string) {
    this.dataDir = dataDir ?? mkdtempSync(path.join(os.tmpdir(), "stratus-dura-"));
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Config for any SDK v3 client. */
  config(region = "us-east-1") {
    return { endpoint: this.endpoint, region, credentials: CREDENTIALS, maxAttempts: 1, forcePathStyle: true };
  }

  async start(extraArgs: string[] = []): Promise<void> {
    if (!this.port) this.port = await freePort();
    const child = spawn(
      process.execPath,
      [path.join(ROOT, "bin/stratus.cjs"), "start", "--port", String(this.port), "--data-dir", this.dataDir, "--quiet", ...this.args, ...extraArgs],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    this.child = child;
    for (let i = 0; i < 400; i++) {
      if (child.exitCode !== null) throw new Error(`stratus exited with ${child.exitCode}: ${stderr}`);
      try {
        const response = await fetch(`${this.endpoint}/_stratus/health`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`stratus did not start: ${stderr}`);
  }

  /** SIGKILL: no shutdown code runs, as in a crash or an OOM kill. */
  async kill(): Promise<void> {
    await this.signal("SIGKILL");
  }

  /** SIGTERM: the graceful stop. */
  async stop(): Promise<void> {
    await this.signal("SIGTERM");
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill(signal);
    await exited;
  }

  async restart(kind: "kill" | "stop", extraArgs: string[] = []): Promise<void> {
    await (kind === "kill" ? this.kill() : this.stop());
    await this.start(extraArgs);
  }

  /** Moves the virtual clock (as `stratus clock advance` does). */
  async advance(duration: string): Promise<string> {
    const response = await fetch(`${this.endpoint}/_stratus/clock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advance: duration }) });
    if (!response.ok) throw new Error(`clock advance: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { now: string }).now;
  }

  async now(): Promise<number> {
    const response = await fetch(`${this.endpoint}/_stratus/clock`);
    return Date.parse(((await response.json()) as { now: string }).now);
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
