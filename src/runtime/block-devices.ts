/**
 * EBS volumes as block devices inside running instances. A volume's bytes are
 * a sparse file (the block store's); attaching it to a running instance
 * binds that file to a loop device on the host and makes a device node for
 * it in the instance's /dev, named as the instance's hypervisor names EBS
 * volumes: NVMe on Nitro types (/dev/nvme1n1, nvme2n1… in attachment order,
 * with /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol… links), Xen's
 * /dev/xvdf for an attachment at /dev/sdf on Xen types (t2). What the
 * instance writes (mkfs, files) goes to the volume's file, so snapshots
 * capture it and volumes restored from them hold it.
 */
import { readFileSync } from "node:fs";
import { typeShape } from "../services/ec2/instance-types/catalog.js";
import { sh } from "./host.js";

const LOSETUP = "/usr/sbin/losetup";

/** A loop device bound to a volume's file. */
export interface Loop {
  /** /dev/loopN */
  path: string;
  major: number;
  minor: number;
}

/** I/O a loop device has done since it was bound (the kernel's counters). */
export interface LoopIo {
  readOps: number;
  readBytes: number;
  writeOps: number;
  writeBytes: number;
}

/** Binds a file to the first free loop device. */
export async function bindLoop(file: string): Promise<Loop> {
  const path = (await sh(LOSETUP, ["--find", "--show", file])).trim();
  const [major, minor] = readFileSync(`/sys/block/${path.slice("/dev/".length)}/dev`, "utf8").trim().split(":").map(Number);
  return { path, major, minor };
}

/** Unbinds a loop device; one still mounted somewhere goes when it is last closed. */
export async function unbindLoop(loop: string): Promise<void> {
  await sh(LOSETUP, ["--detach", loop]).catch(() => undefined);
}

/** The file grew (ModifyVolume): the device takes its new size. */
export async function refreshLoop(loop: string): Promise<void> {
  await sh(LOSETUP, ["--set-capacity", loop]).catch(() => undefined);
}

/** Loop devices bound to files under `dir` (left by a Stratus that was killed). */
export async function loopsUnder(dir: string): Promise<string[]> {
  const out = await sh(LOSETUP, ["--list", "--noheadings", "--raw", "--output", "NAME,BACK-FILE"]).catch(() => "");
  return out
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([name, file]) => name && file?.startsWith(dir.endsWith("/") ? dir : `${dir}/`))
    .map(([name]) => name);
}

/** /sys/block/loopN/stat: reads and writes completed, sectors (512 bytes) moved. */
export function loopIo(loop: string): LoopIo | undefined {
  try {
    const fields = readFileSync(`/sys/block/${loop.slice("/dev/".length)}/stat`, "utf8").trim().split(/\s+/).map(Number);
    return { readOps: fields[0], readBytes: fields[2] * 512, writeOps: fields[4], writeBytes: fields[6] * 512 };
  } catch {
    return undefined;
  }
}

/**
 * The device's name inside the instance: `nvme<n>n1` on Nitro types (n from
 * 1, nvme0n1 being the root), Xen's `xvd<x>` for `/dev/sd<x>` or
 * `/dev/xvd<x>` on Xen types.
 */
export function guestDeviceName(instanceType: string, device: string, nvmeIndex: number): string {
  if (typeShape(instanceType).hypervisor === "nitro") return `nvme${nvmeIndex}n1`;
  const tail = device.replace(/^\/dev\//, "");
  return tail.startsWith("sd") ? `xvd${tail.slice(2)}` : tail;
}

/** The udev link Nitro instances have for an EBS volume (by-id, named after the volume). */
export function byIdLink(volumeId: string): string {
  return `disk/by-id/nvme-Amazon_Elastic_Block_Store_${volumeId.replace("-", "")}`;
}

/**
 * Shell lines that make a device node (and its by-id link on Nitro) under a
 * /dev directory, or remove them; run by the boot script or inside a running
 * instance.
 */
export function nodeCommands(dev: string, node: { name: string; loop: Loop; volumeId: string; nitro: boolean }, present: boolean): string {
  if (!/^[a-z0-9]+$/.test(node.name) || !/^vol-[0-9a-f]+$/.test(node.volumeId)) throw new Error(`not a device name: ${node.name} (${node.volumeId})`);
  const link = `${dev}/${byIdLink(node.volumeId)}`;
  if (!present) return `rm -f ${dev}/${node.name}${node.nitro ? ` ${link}` : ""}`;
  const lines = [`rm -f ${dev}/${node.name}`, `mknod -m 660 ${dev}/${node.name} b ${node.loop.major} ${node.loop.minor}`, `chgrp disk ${dev}/${node.name} 2>/dev/null || true`];
  if (node.nitro) lines.push(`mkdir -p ${dev}/disk/by-id`, `ln -sfn ../../${node.name} ${link}`);
  return lines.join("\n");
}
