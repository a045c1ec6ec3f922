/**
 * The `mock` driver: instances don't execute anything; their activity
 * follows a deterministic model driven by the instance type and the time
 * since boot (documented in docs/ec2.md, "Metrics of the mock driver"):
 *
 *  - CPU: a boot spike (85%, 60%, 35% over the first three minutes of a run),
 *    then a steady load: the family's base load, a daily swing of ±40% peaking
 *    at 14:00 UTC, and ±20% noise per instance and minute;
 *  - network: ~48 MB in during boot (packages), then traffic proportional to
 *    the CPU load and the vCPUs; out is 60% of in; packets are bytes/1100 in
 *    and bytes/700 out;
 *  - disk: only types with instance store volumes report disk metrics (as in
 *    EC2, where EBS traffic is not in DiskRead*); others report 0;
 *  - status checks never fail.
 */
import { typeShape } from "../instance-types/catalog.js";
import type { DriverInstance, InstanceDriver, Transition, Usage } from "./driver.js";

const MINUTE = 60_000;
// Short enough that a waiter started by a separate `aws ec2 wait` sees the new state on its first poll.
export const BOOT_MS = 1_000;
export const STOP_MS = 1_000;
export const FORCE_STOP_MS = 500;
export const TERMINATE_MS = 1_000;
export const STATUS_INITIALIZING_MS = 60_000;

const BOOT_CPU = [85, 60, 35];
const BOOT_NET_IN = [25e6, 15e6, 8e6];

/** Steady CPU load (percent) of a family. */
function baseLoad(instanceType: string): number {
  const family = instanceType.split(".")[0];
  if (family.startsWith("t")) return 6;
  if (family === "c5") return 25;
  if (family === "m5") return 18;
  if (family === "r5") return 15;
  if (family.startsWith("g") || family.startsWith("p")) return 35;
  return 12;
}

/** A deterministic number in [0, 1) for an instance and a minute. */
function noise(instanceId: string, minute: number): number {
  let h = 2166136261 ^ minute;
  for (let i = 0; i < instanceId.length; i++) h = Math.imul(h ^ instanceId.charCodeAt(i), 16777619);
  h ^= h >>> 13;
  h = Math.imul(h, 0x5bd1e995);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

interface Minute {
  cpu: number;
  netIn: number;
  netOut: number;
}

/** The model for the minute starting at `minuteStart`, `sinceBoot` minutes into the run. */
function minuteOf(instance: DriverInstance, minuteStart: number, sinceBoot: number): Minute {
  const shape = typeShape(instance.instanceType);
  const base = baseLoad(instance.instanceType);
  const hour = (minuteStart % 86_400_000) / 3_600_000;
  const diurnal = 1 + 0.4 * Math.sin((2 * Math.PI * (hour - 8)) / 24);
  const jitter = 0.8 + 0.4 * noise(instance.instanceId, Math.floor(minuteStart / MINUTE));
  const steady = Math.min(100, base * diurnal * jitter);
  const booting = sinceBoot >= 0 && sinceBoot < BOOT_CPU.length;
  const cpu = booting ? Math.max(steady, BOOT_CPU[sinceBoot]) : steady;
  const steadyIn = 40_000 * shape.vcpus * (steady / base);
  const netIn = booting ? BOOT_NET_IN[sinceBoot] + steadyIn : steadyIn;
  const netOut = booting ? 2e6 : steadyIn * 0.6;
  return { cpu, netIn, netOut };
}

export class MockDriver implements InstanceDriver {
  readonly name = "mock";

  boot(_instance: DriverInstance): Transition {
    return { durationMs: BOOT_MS };
  }

  stop(_instance: DriverInstance, force: boolean): Transition {
    return { durationMs: force ? FORCE_STOP_MS : STOP_MS };
  }

  terminate(_instance: DriverInstance): Transition {
    return { durationMs: TERMINATE_MS };
  }

  reboot(_instance: DriverInstance): void {}

  statusInitializingMs(_instance: DriverInstance): number {
    return STATUS_INITIALIZING_MS;
  }

  usage(instance: DriverInstance, start: number, end: number): Usage {
    const runStart = instance.runningSince ?? start;
    let cpuWeighted = 0;
    let weight = 0;
    let netIn = 0;
    let netOut = 0;
    for (let t = start; t < end; ) {
      const minuteStart = t - (t % MINUTE);
      const next = Math.min(end, minuteStart + MINUTE);
      const fraction = (next - t) / MINUTE;
      const m = minuteOf(instance, minuteStart, Math.floor((minuteStart - (runStart - (runStart % MINUTE))) / MINUTE));
      cpuWeighted += m.cpu * fraction;
      weight += fraction;
      netIn += m.netIn * fraction;
      netOut += m.netOut * fraction;
      t = next;
    }
    const shape = typeShape(instance.instanceType);
    const minutes = (end - start) / MINUTE;
    const cpu = weight ? cpuWeighted / weight : 0;
    const disk = shape.storage ? (cpu / baseLoad(instance.instanceType)) * minutes : 0;
    return {
      cpuUtilization: Math.round(cpu * 1000) / 1000,
      networkIn: Math.round(netIn),
      networkOut: Math.round(netOut),
      networkPacketsIn: Math.round(netIn / 1100),
      networkPacketsOut: Math.round(netOut / 700),
      diskReadBytes: Math.round(disk * 2e6),
      diskWriteBytes: Math.round(disk * 1e6),
      diskReadOps: Math.round((disk * 2e6) / 16384),
      diskWriteOps: Math.round((disk * 1e6) / 16384),
      statusCheckFailedInstance: 0,
      statusCheckFailedSystem: 0,
    };
  }

  consoleOutput(instance: DriverInstance, now: number): string | undefined {
    const boot = instance.bootStartedAt;
    if (boot === undefined || instance.runningSince === undefined || now < instance.runningSince) return undefined;
    const stamp = (seconds: number) => `[${seconds.toFixed(6).padStart(12)}]`;
    const at = (seconds: number) => new Date(boot + seconds * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, "+00:00");
    const host = instance.privateIpAddress ? `ip-${instance.privateIpAddress.replace(/\./g, "-")}` : "localhost";
    const fp = (kind: string) => {
      let out = "";
      for (let i = 0; out.length < 43; i++) out += Math.floor(noise(instance.instanceId + kind, i) * 1e9).toString(36);
      return out.slice(0, 43);
    };
    const lines = [
      `${stamp(0)} Linux version 6.8.0-1012-aws (buildd@lcy02-amd64-044) (x86_64-linux-gnu-gcc-13) #13-Ubuntu SMP`,
      `${stamp(0)} Command line: BOOT_IMAGE=/boot/vmlinuz-6.8.0-1012-aws root=PARTUUID=00000000-01 ro console=tty1 console=ttyS0 nvme_core.io_timeout=4294967295 panic=-1`,
      `${stamp(0.000001)} DMI: Amazon EC2 ${instance.instanceType}/, BIOS 1.0 10/16/2017`,
      `${stamp(0.412)} Hypervisor detected: KVM`,
      `${stamp(1.184)} EXT4-fs (nvme0n1p1): mounted filesystem with ordered data mode.`,
      `${stamp(2.903)} systemd[1]: Hostname set to <${host}>.`,
      `${stamp(3.551)} cloud-init[512]: Cloud-init v. 24.1.3 running 'init-local' at ${at(3.5)}. Up 3.55 seconds.`,
      `${stamp(4.102)} cloud-init[598]: Cloud-init v. 24.1.3 running 'init' at ${at(4.1)}. Up 4.10 seconds.`,
      `${stamp(4.117)} cloud-init[598]: ci-info: +++++++++++++++++++++++++++Net device info++++++++++++++++++++++++++++`,
      `${stamp(4.117)} cloud-init[598]: ci-info: | ens5 | True | ${instance.privateIpAddress ?? "-"} | 255.255.240.0 | global |`,
      `${stamp(4.611)} cloud-init[598]: Generating public/private ed25519 key pair.`,
      `${stamp(4.802)} cloud-init[598]: Cloud-init v. 24.1.3 running 'modules:config' at ${at(4.8)}. Up 4.80 seconds.`,
      instance.userData.length ? `${stamp(4.9)} cloud-init[701]: user data: ${instance.userData.length} bytes (not executed by the mock driver)` : undefined,
      `-----BEGIN SSH HOST KEY FINGERPRINTS-----`,
      `256 SHA256:${fp("ecdsa")} root@${host} (ECDSA)`,
      `256 SHA256:${fp("ed25519")} root@${host} (ED25519)`,
      `-----END SSH HOST KEY FINGERPRINTS-----`,
      `${stamp(5.012)} cloud-init[760]: Cloud-init v. 24.1.3 finished at ${at(5)}. Datasource DataSourceEc2Local.  Up 5.01 seconds`,
      "",
      `Ubuntu 24.04 LTS ${host} ttyS0`,
      "",
      `${host} login: `,
    ];
    return lines.filter((l) => l !== undefined).join("\r\n");
  }
}
