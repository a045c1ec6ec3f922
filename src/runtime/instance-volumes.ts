/**
 * The data volumes of running instances, as block devices (see
 * block-devices.ts): bound to loop devices when an instance boots or a volume
 * is attached to it while it runs, unbound when it is detached or the
 * instance stops. The block store is told which files change behind its back
 * (their snapshots then compare every block holding data) and what I/O the
 * instance did (the AWS/EBS metrics).
 */
import { existsSync, readFileSync } from "node:fs";
import type { DriverInstance, DriverVolume, VolumeBytes } from "../services/ec2/instances/driver.js";
import { typeShape } from "../services/ec2/instance-types/catalog.js";
import { bindLoop, guestDeviceName, loopIo, loopsUnder, nodeCommands, refreshLoop, unbindLoop, type Loop, type LoopIo } from "./block-devices.js";
import { sh } from "./host.js";

interface Device {
  volumeId: string;
  /** Its name in the instance's /dev. */
  name: string;
  nvmeIndex: number;
  nitro: boolean;
  loop: Loop;
  /** The loop's counters when last recorded. */
  io: LoopIo;
}

const NO_IO: LoopIo = { readOps: 0, readBytes: 0, writeOps: 0, writeBytes: 0 };

export class InstanceVolumes {
  private readonly devices = new Map<string, Map<string, Device>>();
  /** Loop devices a killed Stratus left bound to volume files, unbound before any new binding. */
  private stale: Promise<void> = Promise.resolve();

  constructor(private readonly bytes: VolumeBytes) {}

  /** At start-up (no instance runs yet): unbinds the loops a Stratus that was killed left behind. */
  releaseStale(): void {
    this.stale = loopsUnder(this.bytes.dir).then(async (loops) => {
      for (const loop of loops) await unbindLoop(loop);
    });
  }

  /**
   * Binds the volumes of a booting instance; returns the shell lines that
   * make their nodes in the /dev directory named by their first argument.
   */
  async boot(instance: DriverInstance): Promise<string> {
    await this.stale;
    const { added, failures } = await this.bindNew(instance);
    const said = failures.map((text) => `echo ${shellQuote(`[stratus] ${text}`)}`);
    return [...added.map((device) => nodeCommands('"$1"', device, true)), ...said].join("\n");
  }

  /**
   * A running instance's volumes changed: new ones are bound and get nodes,
   * gone ones lose theirs and are unbound, grown ones take their new size.
   * `inside` runs shell lines in the instance with its /dev directory as $1.
   */
  async sync(instance: DriverInstance, inside: (commands: string) => Promise<void>): Promise<void> {
    const current = this.devices.get(instance.instanceId) ?? new Map<string, Device>();
    const wanted = new Set((instance.volumes ?? []).map((v) => v.volumeId));
    for (const device of [...current.values()].filter((d) => !wanted.has(d.volumeId))) {
      await inside(nodeCommands('"$1"', device, false));
      await this.unbind(instance.instanceId, device);
    }
    for (const device of current.values()) await refreshLoop(device.loop.path);
    const { added, failures } = await this.bindNew(instance);
    if (added.length) await inside(added.map((device) => nodeCommands('"$1"', device, true)).join("\n"));
    if (failures.length) throw new Error(failures.join("; "));
  }

  /** The instance stopped: records its last I/O and unbinds every volume. */
  async release(instanceId: string): Promise<void> {
    for (const device of [...(this.devices.get(instanceId)?.values() ?? [])]) await this.unbind(instanceId, device);
    this.devices.delete(instanceId);
  }

  /** Records the I/O each volume of the instance did since the last time. */
  recordIo(instanceId: string): void {
    for (const device of this.devices.get(instanceId)?.values() ?? []) this.record(device);
  }

  /** Binds the instance's volumes that are not yet; a volume that cannot be bound is said why (the others still are). */
  private async bindNew(instance: DriverInstance): Promise<{ added: Device[]; failures: string[] }> {
    let current = this.devices.get(instance.instanceId);
    if (!current) this.devices.set(instance.instanceId, (current = new Map()));
    const nitro = typeShape(instance.instanceType).hypervisor === "nitro";
    const fresh = (instance.volumes ?? []).filter((v) => !current.has(v.volumeId)).sort(byAttachment);
    const added: Device[] = [];
    const failures: string[] = [];
    for (const volume of fresh) {
      const used = new Set([...current.values()].map((d) => d.nvmeIndex));
      let nvmeIndex = 1;
      while (used.has(nvmeIndex)) nvmeIndex++;
      const name = guestDeviceName(instance.instanceType, volume.device, nvmeIndex);
      // /dev/sdf and /dev/xvdf are both xvdf on Xen: the second cannot have the name too.
      if ([...current.values()].some((d) => d.name === name)) {
        failures.push(`${volume.volumeId} (${volume.device}) is not a block device in this instance: ${name} is another volume's`);
        continue;
      }
      let loop: Loop;
      try {
        loop = await bindLoop(await this.bytes.file(volume.volumeId));
      } catch (error) {
        failures.push(`${volume.volumeId} (${volume.device}) is not a block device in this instance: ${(error as Error).message}`);
        continue;
      }
      const device: Device = { volumeId: volume.volumeId, name, nvmeIndex, nitro, loop, io: NO_IO };
      current.set(volume.volumeId, device);
      this.bytes.exposed(volume.volumeId, true);
      added.push(device);
    }
    return { added, failures };
  }

  private async unbind(instanceId: string, device: Device): Promise<void> {
    this.record(device);
    await unbindLoop(device.loop.path);
    // Unbinding waits for a file system the instance still had mounted to let go (its last writes land in the file).
    await released(device.loop);
    this.devices.get(instanceId)?.delete(device.volumeId);
    this.bytes.exposed(device.volumeId, false);
  }

  private record(device: Device): void {
    const now = loopIo(device.loop.path);
    if (!now) return;
    const last = device.io;
    device.io = now;
    const delta = {
      readOps: Math.max(0, now.readOps - last.readOps),
      readBytes: Math.max(0, now.readBytes - last.readBytes),
      writeOps: Math.max(0, now.writeOps - last.writeOps),
      writeBytes: Math.max(0, now.writeBytes - last.writeBytes),
    };
    if (delta.readOps || delta.writeOps) this.bytes.recordIo(device.volumeId, delta);
  }
}

/** Runs shell lines inside a running instance's mount namespace, its /dev directory as $1. */
export function insideInstance(initPid: number, devDir: string): (commands: string) => Promise<void> {
  return async (commands) => {
    await sh("/usr/bin/nsenter", ["--target", String(initPid), "--mount", "--", "/bin/sh", "-c", commands, "sh", devDir]);
  };
}

/** Waits (a few seconds at most) until a loop device no longer holds its file. */
async function released(loop: Loop): Promise<void> {
  const backing = `/sys/block/${loop.path.slice("/dev/".length)}/loop/backing_file`;
  for (let i = 0; i < 60 && existsSync(backing); i++) await new Promise((resolve) => setTimeout(resolve, 50));
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

function byAttachment(a: DriverVolume, b: DriverVolume): number {
  return a.attachedAt - b.attachedAt || a.device.localeCompare(b.device);
}

/** The host pid of a running instance's first process (the boot script writes it); undefined if it is not written within 10 s. */
export async function waitForInitPid(pidFile: string): Promise<number | undefined> {
  for (let i = 0; i < 200; i++) {
    try {
      const pid = Number(readFileSync(pidFile, "utf8"));
      if (Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`)) return pid;
    } catch {
      // not written yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}
