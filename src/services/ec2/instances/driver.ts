/**
 * What makes an instance "run". The control plane (states, addresses,
 * volumes, billing of time) lives in the instances module; a driver decides
 * how long each transition takes, what the console shows and what the
 * instance does while it runs (its CPU, network and disk activity).
 *
 * Stratus ships the `mock` driver (a documented, deterministic model, see
 * docs/ec2.md); a driver that really runs user data plugs in behind the same
 * interface.
 */
import type { Scope } from "../../../state/documents.js";

/** What a driver knows about an instance. */
export interface DriverInstance {
  scope: Scope;
  instanceId: string;
  instanceType: string;
  imageId: string;
  /** The image's name and platform (for the console's banner). */
  imageName?: string;
  architecture: string;
  availabilityZone: string;
  privateIpAddress?: string;
  publicIpAddress?: string;
  /** The launch key pair's public key (OpenSSH format), for drivers that boot something. */
  publicKey?: string;
  /** The user data, decoded (empty when none). */
  userData: Buffer;
  /** When the current run began (the last pending → running), epoch ms; undefined when not running. */
  runningSince?: number;
  /** When the current boot began (entering pending), epoch ms. */
  bootStartedAt?: number;
  /** Epoch ms of the first launch. */
  launchedAt: number;
  /** Whether the instance is a spot instance. */
  spot: boolean;
  /** Its attached data volumes (not the root), for drivers that run instances. */
  volumes?: DriverVolume[];
}

/** A data volume attached to an instance. */
export interface DriverVolume {
  volumeId: string;
  /** The attachment's device name in the API (/dev/sdf). */
  device: string;
  /** Epoch ms of the attachment (NVMe devices are numbered in this order). */
  attachedAt: number;
}

/** What a driver that runs instances uses of the volumes' bytes (the EBS side provides it). */
export interface VolumeBytes {
  /** The file holding the volume's bytes, once they are in place (a restore from a snapshot finished). */
  file(volumeId: string): Promise<string>;
  /** The file is (or no longer is) written behind the block store's back, as an instance's block device. */
  exposed(volumeId: string, exposed: boolean): void;
  /** I/O the instance did on the volume. */
  recordIo(volumeId: string, io: { readBytes: number; writeBytes: number; readOps: number; writeOps: number }): void;
  /** Where volume files live (loop devices over files there are Stratus's own). */
  readonly dir: string;
}

/** How long a transition takes, in milliseconds of the Stratus clock. */
export interface Transition {
  durationMs: number;
}

/**
 * Activity during a window of time, as EC2's built-in metrics count it:
 * CPU as an average percentage, the rest as totals over the window.
 */
export interface Usage {
  cpuUtilization: number;
  networkIn: number;
  networkOut: number;
  networkPacketsIn: number;
  networkPacketsOut: number;
  diskReadBytes: number;
  diskWriteBytes: number;
  diskReadOps: number;
  diskWriteOps: number;
  statusCheckFailedInstance: 0 | 1;
  statusCheckFailedSystem: 0 | 1;
}

export interface InstanceDriver {
  readonly name: string;
  /** pending → running (a launch or a start). */
  boot(instance: DriverInstance): Transition;
  /** stopping → stopped. */
  stop(instance: DriverInstance, force: boolean): Transition;
  /** shutting-down → terminated. */
  terminate(instance: DriverInstance): Transition;
  /** A reboot (the instance stays running; the console starts over). */
  reboot(instance: DriverInstance): void;
  /** How long after running the status checks stay "initializing". */
  statusInitializingMs(instance: DriverInstance): number;
  /** The serial console text so far (GetConsoleOutput); undefined before the first boot printed anything. */
  consoleOutput(instance: DriverInstance, now: number): string | undefined;
  /** Activity while running during [start, end) (epoch ms); the window lies inside one run. */
  usage(instance: DriverInstance, start: number, end: number): Usage;
  /** Frees whatever the driver holds for an instance (it was terminated). */
  release?(instance: DriverInstance): void;
  /** A running instance's data volumes changed (attached, detached, grown). */
  volumesChanged?(instance: DriverInstance): void;
  /** A running instance's public address changed (an Elastic IP was associated or removed). */
  addressesChanged?(instance: DriverInstance): void;
  /** At start-up: the instances the control plane holds running or pending. */
  resume?(live: readonly DriverInstance[]): void;
  /** Stratus stops (whatever runs stops with it) or resets (`forget`: nothing of the instances stays). */
  shutdown?(forget?: boolean): Promise<void>;
}
