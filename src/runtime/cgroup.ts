/**
 * Each instance's processes in a cgroup of their own, for its CPU time: the
 * cgroup v2 hierarchy where there is one (cpu.stat's usage_usec; on a hybrid
 * host it is mounted at /sys/fs/cgroup/unified), else v1's cpuacct
 * (cpuacct.usage). Without either, instances run uncounted (CPU reads 0).
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync } from "node:fs";
import path from "node:path";

interface Hierarchy {
  dir: string;
  cpuNs(group: string): number;
}

const HIERARCHIES: Array<Hierarchy & { marker: string }> = [
  { dir: "/sys/fs/cgroup", marker: "cgroup.controllers", cpuNs: usageV2 },
  { dir: "/sys/fs/cgroup/unified", marker: "cgroup.controllers", cpuNs: usageV2 },
  { dir: "/sys/fs/cgroup/cpuacct", marker: "cpuacct.usage", cpuNs: (group) => Number(readFileSync(path.join(group, "cpuacct.usage"), "utf8")) },
];

function usageV2(group: string): number {
  const match = /^usage_usec (\d+)$/m.exec(readFileSync(path.join(group, "cpu.stat"), "utf8"));
  return match ? Number(match[1]) * 1000 : 0;
}

let found: Hierarchy | null | undefined;
function hierarchy(): Hierarchy | undefined {
  if (found === undefined) found = HIERARCHIES.find((h) => existsSync(path.join(h.dir, h.marker))) ?? null;
  return found ?? undefined;
}

const group = (instanceId: string) => path.join(hierarchy()!.dir, "stratus", instanceId);

/** Creates the instance's cgroup; its cgroup.procs file (for the boot to join), or "" where there is none. */
export function createCgroup(instanceId: string): string {
  if (!hierarchy()) return "";
  try {
    mkdirSync(group(instanceId), { recursive: true });
    return path.join(group(instanceId), "cgroup.procs");
  } catch {
    return "";
  }
}

/** CPU time of the instance's processes so far, in nanoseconds (0 where uncounted). */
export function cpuTimeNs(instanceId: string): number {
  try {
    return hierarchy()?.cpuNs(group(instanceId)) ?? 0;
  } catch {
    return 0;
  }
}

/** Removes the instance's cgroup once its processes are gone (the kernel may take a moment). */
export async function removeCgroup(instanceId: string): Promise<void> {
  if (!hierarchy()) return;
  for (let i = 0; i < 20; i++) {
    try {
      rmdirSync(group(instanceId));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EBUSY") return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
