/** Helpers the benchmarks share: a free port, waiting for a server process to accept connections, stopping it. */
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import net from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/** Polls the port every 100 ms, up to `attempts` times; fails early if the process exits. */
export async function waitReady(port: number, proc: ChildProcess, name: string, attempts: number): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.end();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not start`);
}

/** Stops a server (SIGTERM, SIGKILL after 5 s) and, once it has exited, removes its directory. */
export async function stopServer(server: { proc: ChildProcess; dir: string }): Promise<void> {
  if (server.proc.exitCode === null) {
    const exited = new Promise((r) => server.proc.once("exit", r));
    server.proc.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (server.proc.exitCode === null) server.proc.kill("SIGKILL");
  }
  rmSync(server.dir, { recursive: true, force: true });
}
