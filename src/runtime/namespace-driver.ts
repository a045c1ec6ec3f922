/**
 * The `namespaces` driver: instances really run. Each is a set of Linux
 * namespaces (network, mount, PID, UTS, IPC) with an overlay root of its own
 * (see boot-script.ts), booted when it enters pending and killed when it
 * stops; it runs its user data once, as cloud-init does, reads its metadata
 * at 169.254.169.254, and is reached at its private and public addresses.
 * Its CPU (a cgroup of its own, see cgroup.ts) and network (its link's counters) are what
 * CloudWatch reports. Transition times and the status checks are the mock
 * driver's.
 *
 * Instance processes live in real time: a jump of the virtual clock does not
 * make them older. When Stratus stops, its instances stop with it; when it
 * starts again, those the control plane holds running boot again (per-boot
 * scripts run, the user data does not run again).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import path from "node:path";
import type { DriverInstance, InstanceDriver, Transition, Usage, VolumeBytes } from "../services/ec2/instances/driver.js";
import { MockDriver } from "../services/ec2/instances/mock-driver.js";
import { typeShape } from "../services/ec2/instance-types/catalog.js";
import { BOOT_SCRIPT } from "./boot-script.js";
import { cpuTimeNs, createCgroup, removeCgroup } from "./cgroup.js";
import { SYSTEMCTL } from "./systemctl.js";
import { ApiForwarder, INSTANCE_ENDPOINT } from "./api-forwarder.js";
import { ImdsServer, type ImdsSource } from "./imds/server.js";
import { InstanceVolumes, insideInstance, waitForInitPid } from "./instance-volumes.js";
import { INFERENCE_COMMAND, workloadRoot } from "./workload-mount.js";
import { dropImdsAddress, enableEgress, ensureImdsAddress, linkCounters, netnsName, plumb, readdress, unplumb } from "./network.js";

const JOIN_CGROUP = `[ -n "$1" ] && echo $$ > "$1" 2>/dev/null; shift; exec "$@"`;
/** EC2 keeps the last 64 KiB of the serial console. */
const CONSOLE_BYTES = 64 * 1024;

interface Sample {
  at: number;
  cpuNs: number;
  inBytes: number;
  outBytes: number;
  inPackets: number;
  outPackets: number;
}

export interface RuntimeLog {
  error(message: string, detail?: unknown): void;
}

export class NamespaceDriver implements InstanceDriver {
  readonly name = "namespaces";
  private readonly timing = new MockDriver();
  private readonly processes = new Map<string, ChildProcess>();
  /** Each instance's operations run one after another (a stop waits for the boot it follows). */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly samples = new Map<string, Sample>();
  /** The public address each running instance's network holds. */
  private readonly publicIps = new Map<string, string>();
  /** What the host serves instances on 169.254.169.254 (from the first boot on): IMDS and the API. */
  private hostServices: { imds: ImdsServer; api: ApiForwarder; undoEgress?: () => Promise<void> } | undefined;
  private source: ImdsSource | undefined;
  /** Data volumes as block devices (once EC2 binds the volumes' bytes). */
  private volumes: InstanceVolumes | undefined;

  constructor(
    /** Where instances keep their root volumes, consoles and pid files. */
    private readonly dir: string,
    private readonly log: RuntimeLog,
    /** Where Stratus's API listens, once it does. */
    private readonly api: () => { host: string; port: number } | undefined,
  ) {}

  /** EC2 tells the driver how to answer metadata requests. */
  bindMetadata(source: ImdsSource): void {
    this.source = source;
  }

  /** EC2 gives the driver the volumes' files (they become the instances' block devices). */
  bindVolumes(bytes: VolumeBytes): void {
    this.volumes = new InstanceVolumes(bytes);
  }

  instanceDir(instanceId: string): string {
    return path.join(this.dir, instanceId);
  }

  /** Resolves once every operation queued so far is done. */
  private settled(): Promise<void> {
    return Promise.all([...this.queues.values()]).then(() => undefined);
  }

  boot(instance: DriverInstance): Transition {
    this.enqueue(instance.instanceId, () => this.startOrSay(instance));
    return this.timing.boot(instance);
  }

  stop(instance: DriverInstance, force: boolean): Transition {
    this.processes.get(instance.instanceId)?.kill("SIGKILL");
    this.enqueue(instance.instanceId, () => this.kill(instance.instanceId));
    return this.timing.stop(instance, force);
  }

  terminate(instance: DriverInstance): Transition {
    this.processes.get(instance.instanceId)?.kill("SIGKILL");
    this.enqueue(instance.instanceId, () => this.discard(instance.instanceId));
    return this.timing.terminate(instance);
  }

  reboot(instance: DriverInstance): void {
    this.enqueue(instance.instanceId, async () => {
      await this.kill(instance.instanceId);
      await this.startOrSay(instance);
    });
  }

  release(instance: DriverInstance): void {
    this.enqueue(instance.instanceId, () => this.discard(instance.instanceId));
  }

  addressesChanged(instance: DriverInstance): void {
    this.enqueue(instance.instanceId, async () => {
      if (!this.processes.has(instance.instanceId)) return;
      const from = this.publicIps.get(instance.instanceId);
      if (from === instance.publicIpAddress) return;
      await readdress(instance.instanceId, from, instance.publicIpAddress);
      this.remember(instance.instanceId, instance.publicIpAddress);
    });
  }

  volumesChanged(instance: DriverInstance): void {
    this.enqueue(instance.instanceId, async () => {
      if (!this.processes.has(instance.instanceId) || !this.volumes) return;
      // A boot that just began writes the pid once its /dev is in place.
      const pid = await waitForInitPid(path.join(this.instanceDir(instance.instanceId), "init-pid"));
      if (!pid) return;
      await this.volumes.sync(instance, insideInstance(pid, path.join(this.instanceDir(instance.instanceId), "root/dev")));
    });
  }

  private remember(instanceId: string, publicIp: string | undefined): void {
    if (publicIp) this.publicIps.set(instanceId, publicIp);
    else this.publicIps.delete(instanceId);
  }

  statusInitializingMs(instance: DriverInstance): number {
    return this.timing.statusInitializingMs(instance);
  }

  consoleOutput(instance: DriverInstance): string | undefined {
    try {
      const text = readFileSync(path.join(this.instanceDir(instance.instanceId), "console.log"));
      return text.length ? text.subarray(Math.max(0, text.length - CONSOLE_BYTES)).toString("utf8") : undefined;
    } catch {
      return undefined;
    }
  }

  /** Real activity since the last report (the window's length is the clock's; the activity is what happened). */
  usage(instance: DriverInstance): Usage {
    this.volumes?.recordIo(instance.instanceId);
    const now = this.sample(instance.instanceId);
    const last = this.samples.get(instance.instanceId);
    this.samples.set(instance.instanceId, now);
    const d = (key: keyof Sample) => (last ? Math.max(0, now[key] - last[key]) : 0);
    const wallMs = d("at");
    const vcpus = typeShape(instance.instanceType).vcpus;
    const cpu = wallMs > 0 ? Math.min(100, (d("cpuNs") / 1e6 / wallMs / vcpus) * 100) : 0;
    return {
      cpuUtilization: Math.round(cpu * 1000) / 1000,
      networkIn: d("inBytes"),
      networkOut: d("outBytes"),
      networkPacketsIn: d("inPackets"),
      networkPacketsOut: d("outPackets"),
      diskReadBytes: 0,
      diskWriteBytes: 0,
      diskReadOps: 0,
      diskWriteOps: 0,
      statusCheckFailedInstance: this.processes.has(instance.instanceId) ? 0 : 1,
      statusCheckFailedSystem: 0,
    };
  }

  /**
   * After a restart of Stratus: instances a crash left behind are killed, and those the
   * control plane holds running or pending boot again.
   */
  resume(running: readonly DriverInstance[]): void {
    let entries: string[] = [];
    try {
      entries = readdirSync(this.dir);
    } catch {
      // no instance ever ran here
    }
    for (const id of entries.filter((name) => name.startsWith("i-"))) this.enqueue(id, () => this.kill(id));
    this.volumes?.releaseStale();
    for (const instance of running) this.enqueue(instance.instanceId, () => this.startOrSay(instance));
  }

  /** Stratus is stopping (every instance stops with it) or resetting (`forget`: their roots go too). */
  async shutdown(forget = false): Promise<void> {
    // Those still booting too: their kill waits for the boot.
    for (const id of new Set([...this.processes.keys(), ...this.queues.keys()])) this.enqueue(id, () => this.kill(id));
    await this.settled();
    const services = this.hostServices;
    this.hostServices = undefined;
    if (services) {
      await Promise.all([services.imds.close(), services.api.close()]);
      await dropImdsAddress();
      await services.undoEgress?.();
    }
    if (forget) rmSync(this.dir, { recursive: true, force: true });
  }

  private enqueue(instanceId: string, task: () => Promise<void>): void {
    const run = (this.queues.get(instanceId) ?? Promise.resolve()).then(task).catch((error) => this.log.error(`runtime: ${instanceId}`, error));
    this.queues.set(instanceId, run);
    void run.then(() => {
      if (this.queues.get(instanceId) === run) this.queues.delete(instanceId);
    });
  }

  /** Boots; a boot that fails says why on the instance's console (GetConsoleOutput), then in the log. */
  private async startOrSay(instance: DriverInstance): Promise<void> {
    try {
      await this.start(instance);
    } catch (error) {
      const dir = this.instanceDir(instance.instanceId);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, "console.log"), `[stratus] the instance could not boot: ${(error as Error).message}\n`, { flag: "a" });
      throw error;
    }
  }

  private async start(instance: DriverInstance): Promise<void> {
    const id = instance.instanceId;
    if (this.processes.has(id)) return;
    if (!instance.privateIpAddress) throw new Error("no private address");
    if (this.source && !this.hostServices) {
      await ensureImdsAddress();
      const services = { imds: new ImdsServer(this.source), api: new ApiForwarder(this.api), undoEgress: await enableEgress(this.dir) };
      await Promise.all([services.imds.listen(), services.api.listen()]);
      this.hostServices = services;
    }
    const dir = this.instanceDir(id);
    const cloudDir = path.join(dir, "upper/var/lib/cloud/instance");
    mkdirSync(cloudDir, { recursive: true });
    writeFileSync(path.join(cloudDir, "user-data.txt"), instance.userData, { mode: 0o600 });
    writeFileSync(path.join(cloudDir, "authorized_keys"), instance.publicKey ? `${instance.publicKey.trim()}\n` : "", { mode: 0o600 });
    const sbin = path.join(dir, "upper/usr/local/sbin");
    mkdirSync(sbin, { recursive: true });
    writeFileSync(path.join(sbin, "systemctl"), SYSTEMCTL, { mode: 0o755 });
    const home = workloadRoot();
    if (home) {
      const bin = path.join(dir, "upper/usr/local/bin");
      mkdirSync(bin, { recursive: true });
      writeFileSync(path.join(bin, "stratus-inference"), INFERENCE_COMMAND, { mode: 0o755 });
    }
    await plumb(id, instance.privateIpAddress, instance.publicIpAddress);
    this.remember(id, instance.publicIpAddress);
    const procs = createCgroup(id);
    const hostname = `ip-${instance.privateIpAddress.replace(/\./g, "-")}`;
    const devices = (await this.volumes?.boot(instance)) ?? "";
    rmSync(path.join(dir, "init-pid"), { force: true });
    const console = openSync(path.join(dir, "console.log"), "w");
    let child: ChildProcess;
    try {
      // The first shell joins the instance's cgroup (on the host: `ip netns exec` hides the host's
      // /sys/fs/cgroup) and becomes `ip`, then `unshare`: everything the instance runs is counted.
      const boot = ["/usr/bin/unshare", "--mount", "--pid", "--uts", "--ipc", "--fork", "--kill-child", "/bin/sh", "-c", BOOT_SCRIPT, "sh", dir, hostname, defaultUser(instance.imageName), instance.scope.region, INSTANCE_ENDPOINT, devices, home ? process.execPath : "", home ?? ""];
      child = spawn("/bin/sh", ["-c", JOIN_CGROUP, "sh", procs, "/usr/sbin/ip", "netns", "exec", netnsName(id), ...boot], { stdio: ["ignore", console, console] });
    } finally {
      closeSync(console);
    }
    child.unref();
    this.processes.set(id, child);
    if (child.pid) writeFileSync(path.join(dir, "pid"), String(child.pid));
    child.once("exit", () => {
      if (this.processes.get(id) === child) this.processes.delete(id);
    });
    this.samples.set(id, this.sample(id));
  }

  /** Ends every process of the instance and takes its network down; its root stays. */
  private async kill(instanceId: string): Promise<void> {
    const dir = this.instanceDir(instanceId);
    const child = this.processes.get(instanceId);
    if (!child) {
      // Left by a Stratus that crashed: the pid file names it (if it is still an instance's).
      killStale(path.join(dir, "pid"));
    } else if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    }
    this.processes.delete(instanceId);
    this.publicIps.delete(instanceId);
    rmSync(path.join(dir, "pid"), { force: true });
    rmSync(path.join(dir, "init-pid"), { force: true });
    await this.volumes?.release(instanceId);
    await unplumb(instanceId);
    await removeCgroup(instanceId);
  }

  /** Ends the instance and removes its root (terminated, released). */
  private async discard(instanceId: string): Promise<void> {
    await this.kill(instanceId);
    rmSync(this.instanceDir(instanceId), { recursive: true, force: true });
  }

  private sample(instanceId: string): Sample {
    const cpuNs = cpuTimeNs(instanceId);
    const link = linkCounters(instanceId);
    return { at: Date.now(), cpuNs, inBytes: link?.inBytes ?? 0, outBytes: link?.outBytes ?? 0, inPackets: link?.inPackets ?? 0, outPackets: link?.outPackets ?? 0 };
  }
}

/** The login user an image's name suggests (the user data's `chown ubuntu:` needs it to exist). */
function defaultUser(imageName: string | undefined): string {
  const name = (imageName ?? "").toLowerCase();
  if (name.includes("ubuntu")) return "ubuntu";
  if (name.includes("debian")) return "admin";
  return "ec2-user";
}

function killStale(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8"));
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (cmdline.includes("unshare") && cmdline.includes(path.dirname(pidFile))) process.kill(pid, "SIGKILL");
  } catch {
    // gone already
  }
}
