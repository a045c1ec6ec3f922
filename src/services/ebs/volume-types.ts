/**
 * AWS's rules per EBS volume type: size ranges, IOPS and throughput ranges
 * and ratios, defaults, and which parameters a type accepts.
 */
import { AwsError } from "../../core/errors.js";

export type VolumeTypeName = "gp2" | "gp3" | "io1" | "io2" | "st1" | "sc1" | "standard";

interface TypeRules {
  minSize: number;
  maxSize: number;
  /** Provisioned IOPS accepted (gp3, io1, io2). */
  iops?: { min: number; max: number; perGiB: number; required: boolean; default?: number };
  /** Provisioned throughput accepted (gp3 only), MiB/s. */
  throughput?: { min: number; max: number; perIops: number; default: number };
  multiAttach: boolean;
}

export const VOLUME_TYPES: Record<VolumeTypeName, TypeRules> = {
  gp2: { minSize: 1, maxSize: 16384, multiAttach: false },
  gp3: {
    minSize: 1,
    maxSize: 16384,
    iops: { min: 3000, max: 16000, perGiB: 500, required: false, default: 3000 },
    throughput: { min: 125, max: 1000, perIops: 0.25, default: 125 },
    multiAttach: false,
  },
  io1: { minSize: 4, maxSize: 16384, iops: { min: 100, max: 64000, perGiB: 50, required: true }, multiAttach: true },
  io2: { minSize: 4, maxSize: 65536, iops: { min: 100, max: 256000, perGiB: 1000, required: true }, multiAttach: true },
  st1: { minSize: 125, maxSize: 16384, multiAttach: false },
  sc1: { minSize: 125, maxSize: 16384, multiAttach: false },
  standard: { minSize: 1, maxSize: 1024, multiAttach: false },
};

export const DEFAULT_VOLUME_TYPE: VolumeTypeName = "gp2";

export interface VolumeSpecInput {
  VolumeType?: string;
  Size?: number;
  Iops?: number;
  Throughput?: number;
  MultiAttachEnabled?: boolean;
}

export interface VolumeSpec {
  type: VolumeTypeName;
  size: number;
  /** What Describe reports: provisioned IOPS, or gp2's baseline. */
  iops?: number;
  throughput?: number;
  multiAttach: boolean;
}

const bad = (message: string) => new AwsError("InvalidParameterValue", message, { status: 400 });
const combination = (message: string) => new AwsError("InvalidParameterCombination", message, { status: 400 });

export function isVolumeType(value: string): value is VolumeTypeName {
  return Object.prototype.hasOwnProperty.call(VOLUME_TYPES, value);
}

/**
 * Checks a request's type, size, IOPS and throughput as CreateVolume (and
 * RunInstances' block device mappings) do; `size` must already be resolved
 * (from the snapshot when the request omits it).
 */
export function resolveVolumeSpec(input: VolumeSpecInput & { Size: number }): VolumeSpec {
  const typeName = input.VolumeType ?? DEFAULT_VOLUME_TYPE;
  if (!isVolumeType(typeName)) throw bad(`Value (${typeName}) for parameter volumeType is invalid. Valid volume types are: standard, io1, io2, gp2, sc1, st1, gp3.`);
  const rules = VOLUME_TYPES[typeName];
  const size = input.Size;
  if (!Number.isInteger(size) || size < rules.minSize) {
    throw bad(
      `The volume size is invalid for ${typeName} volumes: ${size} GiB. ${typeName} volumes must be at least ${rules.minSize} GiB in size. Please specify a volume size above the minimum limit.`,
    );
  }
  if (size > rules.maxSize) {
    throw bad(
      `The volume size is invalid for ${typeName} volumes: ${size} GiB. ${typeName} volumes must be at most ${rules.maxSize} GiB in size. Please specify a volume size below the maximum limit.`,
    );
  }

  let iops: number | undefined;
  if (input.Iops !== undefined) {
    if (!rules.iops) throw combination(`The parameter iops is not supported for ${typeName} volumes.`);
    iops = input.Iops;
    if (!Number.isInteger(iops) || iops < rules.iops.min || iops > rules.iops.max) {
      throw bad(`Volume iops of ${iops} is ${iops < rules.iops.min ? "too low; minimum is" : "too high; maximum is"} ${iops < rules.iops.min ? rules.iops.min : rules.iops.max}.`);
    }
    // gp3's baseline IOPS come with any size; only provisioning above it is bounded by size.
    const baseline = rules.iops.default ?? 0;
    if (iops > baseline && iops / size > rules.iops.perGiB) {
      throw bad(`Iops to volume size ratio of ${(iops / size).toFixed(6)} is too high; maximum is ${rules.iops.perGiB}`);
    }
  } else if (rules.iops?.required) {
    throw new AwsError("MissingParameter", `The request must contain the parameter iops`, { status: 400 });
  } else if (rules.iops) {
    iops = rules.iops.default;
  } else if (typeName === "gp2") {
    iops = gp2BaselineIops(size);
  }

  let throughput: number | undefined;
  if (input.Throughput !== undefined) {
    if (!rules.throughput) throw combination(`Throughput can only be specified for volumeType gp3.`);
    throughput = input.Throughput;
    if (!Number.isInteger(throughput) || throughput < rules.throughput.min || throughput > rules.throughput.max) {
      throw bad(
        `Volume throughput of ${throughput} MiBps is ${throughput < rules.throughput.min ? "too low; minimum is" : "too high; maximum is"} ${throughput < rules.throughput.min ? rules.throughput.min : rules.throughput.max} MiBps.`,
      );
    }
    const ratio = throughput / (iops ?? 1);
    if (throughput > rules.throughput.default && ratio > rules.throughput.perIops) {
      throw bad(`Throughput (MiBps) to iops ratio of ${ratio.toFixed(6)} is too high; maximum is ${rules.throughput.perIops.toFixed(6)} MiBps per iops`);
    }
  } else if (rules.throughput) {
    throughput = rules.throughput.default;
  }

  const multiAttach = input.MultiAttachEnabled === true;
  if (multiAttach && !rules.multiAttach) {
    throw combination(`The parameter multiAttachEnabled is not supported for ${typeName} volumes. Multi-Attach is supported only for io1 and io2 volumes.`);
  }
  return { type: typeName, size, iops, throughput, multiAttach };
}

/** gp2: 3 IOPS per GiB, at least 100, at most 16,000. */
export function gp2BaselineIops(size: number): number {
  return Math.min(16000, Math.max(100, size * 3));
}

/** Throughput a volume delivers (MiB/s), for the I/O model behind its metrics. */
export function deliveredThroughput(spec: { type?: string; size?: number; throughput?: number }): number {
  switch (spec.type) {
    case "gp3":
      return spec.throughput ?? 125;
    case "gp2":
      return (spec.size ?? 1) > 170 ? 250 : 128;
    case "io1":
    case "io2":
      return 500;
    case "st1":
      return Math.min(500, Math.max(40, (spec.size ?? 125) * 0.04));
    case "sc1":
      return Math.min(250, Math.max(12, (spec.size ?? 125) * 0.012));
    default:
      return 90;
  }
}
