/**
 * What the namespace runtime needs from the host, and a way to run the host's
 * tools (ip, unshare). Instances are Linux namespaces: only root on Linux with
 * util-linux's unshare, iproute2's ip and overlayfs can run them.
 */
import { execFile, spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const TOOLS = ["/usr/bin/unshare", "/usr/sbin/ip", "/usr/sbin/chroot"];

/** Why instances cannot run here, or undefined when they can. */
export function runtimeUnsupported(): string | undefined {
  if (process.platform !== "linux") return "instances run as Linux namespaces; this host is not Linux";
  if (process.getuid?.() !== 0) return "instances run as Linux namespaces, which needs root";
  for (const tool of TOOLS) {
    try {
      accessSync(tool, constants.X_OK);
    } catch {
      return `instances need ${tool} (util-linux, iproute2, coreutils)`;
    }
  }
  try {
    if (!/\toverlay$/m.test(readFileSync("/proc/filesystems", "utf8"))) return "instances need overlayfs (modprobe overlay)";
  } catch {
    return "cannot read /proc/filesystems";
  }
  return probe();
}

/**
 * Tries what a boot does, once: new namespaces with an overlay mount, and a veth pair in a
 * network namespace (a container without the privileges for them fails here, not at a launch).
 */
function probe(): string | undefined {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stratus-probe-"));
  const ns = `stratus-probe-${process.pid}`;
  const script = [
    "set -e",
    `mkdir -p ${dir}/u ${dir}/w ${dir}/m`,
    "mount --make-rprivate /",
    `mount -t overlay overlay -o lowerdir=/,upperdir=${dir}/u,workdir=${dir}/w ${dir}/m`,
    `/usr/sbin/ip netns add ${ns}`,
    `/usr/sbin/ip link add stprobe${process.pid % 100000} type veth peer name eth0 netns ${ns}`,
    `/usr/sbin/ip link del stprobe${process.pid % 100000}`,
    `/usr/sbin/ip netns del ${ns}`,
  ].join("\n");
  try {
    const result = spawnSync("/usr/bin/unshare", ["--mount", "--pid", "--uts", "--ipc", "--fork", "/bin/sh", "-c", script], { encoding: "utf8", timeout: 10_000 });
    if (result.status !== 0) {
      spawnSync("/usr/sbin/ip", ["netns", "del", ns]);
      return `this host cannot create the namespaces instances need: ${(result.stderr || result.error?.message || "").trim().split("\n").pop()}`;
    }
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a host tool; rejects with its stderr when it fails. */
export function sh(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(" ")}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

/** Runs `ip` with the arguments; `tolerate` matches errors that mean "already so". */
export async function ip(args: readonly string[], tolerate?: RegExp): Promise<void> {
  try {
    await sh("/usr/sbin/ip", args);
  } catch (error) {
    if (!tolerate?.test((error as Error).message)) throw error;
  }
}
