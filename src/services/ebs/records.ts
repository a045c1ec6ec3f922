/**
 * The volume side's records: EC2's Volume and Snapshot shapes (stored in the
 * ec2 state collections so that Describe*, CreateTags and DescribeTags read
 * them directly) plus a few internal fields, prefixed with "_", that the
 * serializers never see.
 */
import type { Snapshot, Volume, VolumeModification } from "../../generated/ec2.js";

export type EbsVolume = Volume & {
  /** The latest modification (DescribeVolumesModifications). */
  _modification?: VolumeModification;
  _autoEnableIO?: boolean;
  /** CreateVolume's ClientToken (idempotency). */
  _clientToken?: string;
};

export interface CreateVolumePermissionRecord {
  UserId?: string;
  Group?: "all";
}

export type EbsSnapshot = Snapshot & {
  /** Epoch ms at which a pending snapshot completes. */
  _completeAt?: number;
  /** How the bytes arrive: captured from a volume, copied, or written with the EBS direct API. */
  _source?: "volume" | "copy" | "direct";
  _createVolumePermissions?: CreateVolumePermissionRecord[];
  /** Direct API: the token of StartSnapshot (idempotency) and the epoch ms after which it fails. */
  _clientToken?: string;
  _timeoutAt?: number;
  /** Set by DLM on the snapshots its policies create (retention reads this, not the tags). */
  _dlm?: DlmMark;
};

export interface DlmMark {
  policyId: string;
  schedule: string;
  /** The volume or instance the snapshot (set) was taken of. */
  target: string;
  /** Epoch ms of the run. */
  at: number;
  /** Epoch ms at which the policy's archive rule archived it. */
  archived?: number;
}

/** The record as the API shows it: internal ("_") fields stay behind. */
export function publicView<T extends object>(record: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (!key.startsWith("_")) out[key] = value;
  return out as T;
}

/** AWS shows copies and snapshots written with the EBS direct API against this volume id. */
export const NO_VOLUME = "vol-ffffffff";
