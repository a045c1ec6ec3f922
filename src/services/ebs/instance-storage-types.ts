/** A volume captured into an image by CreateImage (mirrors ImageVolumeSnapshot in src/services/ec2/state.ts). */
export interface ImageVolumeSnapshotLike {
  DeviceName: string;
  SnapshotId: string;
  VolumeSize: number;
  VolumeType: string;
  DeleteOnTermination: boolean;
  Iops?: number;
  Throughput?: number;
  Encrypted: boolean;
}
