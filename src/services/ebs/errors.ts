/**
 * EC2's errors for volumes and snapshots, worded as AWS words them. (The EBS
 * direct API and DLM, which are rest-json services, have their own shapes in
 * their providers.)
 */
import { AwsError } from "../../core/errors.js";

const err = (code: string, message: string) => new AwsError(code, message, { status: 400 });

export const VolumeErrors = {
  volumeNotFound: (ids: string[]) =>
    ids.length === 1 ? err("InvalidVolume.NotFound", `The volume '${ids[0]}' does not exist.`) : err("InvalidVolume.NotFound", `The volumes '${ids.join(", ")}' do not exist.`),
  volumeMalformed: (id: string) => err("InvalidVolumeID.Malformed", `Invalid id: "${id}" (expecting "vol-...")`),
  snapshotNotFound: (ids: string[]) =>
    ids.length === 1
      ? err("InvalidSnapshot.NotFound", `The snapshot '${ids[0]}' does not exist.`)
      : err("InvalidSnapshot.NotFound", `The snapshots '${ids.join(", ")}' do not exist.`),
  snapshotMalformed: (id: string) => err("InvalidSnapshotID.Malformed", `Invalid id: "${id}" (expecting "snap-...")`),
  instanceNotFound: (id: string) => err("InvalidInstanceID.NotFound", `The instance ID '${id}' does not exist`),
  zoneMismatch: (volumeId: string, instanceId: string) =>
    err("InvalidVolume.ZoneMismatch", `The volume '${volumeId}' is not in the same availability zone as instance '${instanceId}'`),
  alreadyAttached: (volumeId: string) => err("VolumeInUse", `${volumeId} is already attached to an instance`),
  attachedOnDelete: (volumeId: string, instanceId: string) => err("VolumeInUse", `Volume ${volumeId} is currently attached to ${instanceId}`),
  notAvailable: (volumeId: string, state: string) => err("IncorrectState", `Volume '${volumeId}' is in the '${state}' state.`),
  notAttached: (volumeId: string) => err("IncorrectState", `Volume '${volumeId}' is in the 'available' state.`),
  attachmentNotFound: (volumeId: string, instanceId: string) =>
    err("InvalidAttachment.NotFound", `The volume '${volumeId}' is not attached to instance '${instanceId}'`),
  instanceState: (instanceId: string, state: string) => err("IncorrectInstanceState", `Instance '${instanceId}' is not 'running' or 'stopped' (it is '${state}').`),
  badDevice: (device: string) => err("InvalidParameterValue", `Value (${device}) for parameter device is invalid. ${device} is not a valid EBS device name.`),
  deviceInUse: (device: string) => err("InvalidParameterValue", `Invalid value '${device}' for unixDevice. Attachment point ${device} is already in use`),
  rootDetach: (volumeId: string) =>
    err("OperationNotPermitted", `Unable to detach root volume '${volumeId}' from instance while it is running.`),
  badZone: (zone: string) => err("InvalidParameterValue", `Invalid availability zone: [${zone}]`),
  missingZone: () => err("MissingParameter", "The request must contain the parameter availabilityZone"),
  missingSize: () => err("MissingParameter", "The request must contain the parameter size or snapshotId"),
  smallerThanSnapshot: (size: number, snapshotId: string, snapshotSize: number) =>
    err("InvalidParameterValue", `Volume of size ${size}GB is smaller than snapshot '${snapshotId}', expect size>= ${snapshotSize}GB`),
  snapshotState: (snapshotId: string, state: string) => err("IncorrectState", `Snapshot is in invalid state - ${state}`),
  snapshotInUse: (snapshotId: string, imageId: string) => err("InvalidSnapshot.InUse", `The snapshot ${snapshotId} is currently in use by ${imageId}`),
  kmsWithoutEncryption: () => err("InvalidParameterDependency", "The parameter KmsKeyId requires the parameter Encrypted to be set."),
  encryptedSnapshotUnencryptedVolume: () =>
    err("InvalidParameterCombination", "Volumes created from encrypted snapshots are always encrypted; Encrypted=false is not allowed."),
  volumeModifyState: (volumeId: string, state: string) =>
    err("IncorrectModificationState", `Volume ${volumeId} is in the ${state} modification state and cannot be modified until the current modification completes.`),
  modificationRateExceeded: (volumeId: string) =>
    err("VolumeModificationRateExceeded", `You've reached the maximum modification rate per volume limit. Wait at least 6 hours between modifications per EBS volume.`),
  shrink: (volumeId: string, from: number, to: number) =>
    err("InvalidParameterValue", `New size cannot be smaller than existing size (${from} GiB requested ${to} GiB) for volume ${volumeId}.`),
  modificationNotFound: (volumeId: string) => err("InvalidVolumeModification.NotFound", `Modification for volume '${volumeId}' does not exist.`),
  noModification: () => err("InvalidParameterCombination", "New parameters must differ from the current configuration of the volume."),
  invalidParameterValue: (message: string) => err("InvalidParameterValue", message),
  invalidParameterCombination: (message: string) => err("InvalidParameterCombination", message),
  missingParameter: (name: string) => err("MissingParameter", `The request must contain the parameter ${name}`),
  unsupported: (message: string) => err("UnsupportedOperation", message),
  invalidRegion: (region: string) => err("InvalidParameterValue", `Invalid region: ${region}`),
};
