/**
 * The public AMI catalogue (data/ec2/images.json): each series' builds, plus
 * builds a publisher would have released since the last listed one (at the
 * series' cadence), up to the clock's now — so the newest Ubuntu is always
 * recent and never deprecated, whatever the clock says. Image and snapshot
 * ids are derived from region and name: stable, different per region.
 */
import { crypto } from "../../../core/crypto.js";
import type { ArchitectureValues, BlockDeviceMapping, Image } from "../../../generated/ec2.js";
import { ec2Data } from "../data.js";

interface Build {
  build: string;
  date: string;
}

interface Series {
  owner: string;
  alias?: string;
  name: string;
  description: string;
  location: string;
  architectures: Record<string, string>;
  rootDeviceName: string;
  volumeSize: number;
  volumeType: string;
  ephemeralDevices?: string[];
  deprecateAfterDays: number;
  sriovNetSupport?: string;
  bootMode?: string;
  imdsSupport?: string;
  tpmSupport?: string;
  builds: Build[];
}

const DAY = 86_400_000;
/** How often a series gets a new build after its last listed one. */
const CADENCE_DAYS = 60;

export const CANONICAL = "099720109477";

function hex(text: string, length: number): string {
  return crypto().createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** The deterministic public image id of a named image in a region. */
export function publicImageId(region: string, name: string): string {
  return `ami-0${hex(`image/${region}/${name}`, 16)}`;
}

function publicSnapshotId(region: string, name: string): string {
  return `snap-0${hex(`snapshot/${region}/${name}`, 16)}`;
}

/** A time of day derived from the name, so creation times look like real build times. */
function creationDate(date: string, name: string): Date {
  const seconds = parseInt(hex(`time/${name}`, 6), 16) % 86_400;
  return new Date(Date.parse(`${date}T00:00:00.000Z`) + seconds * 1000);
}

/** A synthesized build name after the listed ones: same shape as the last one, with the new date. */
function nextBuild(last: Build, date: Date): Build {
  const ymd = date.toISOString().slice(0, 10).replace(/-/g, "");
  const lastYmd = last.date.replace(/-/g, "");
  const build = last.build.includes(lastYmd) ? last.build.replace(lastYmd, ymd) : `${last.build}.${ymd}`;
  return { build, date: date.toISOString().slice(0, 10) };
}

function buildsUntil(series: Series, now: number): Build[] {
  const builds = [...series.builds];
  // The DLAMI series carries framework versions in its names; it is not extended.
  if (!series.name.startsWith("Deep Learning")) {
    let last = builds[builds.length - 1];
    for (let t = Date.parse(last.date) + CADENCE_DAYS * DAY; t <= now; t += CADENCE_DAYS * DAY) {
      last = nextBuild(last, new Date(t));
      builds.push(last);
    }
  }
  return builds.filter((b) => Date.parse(b.date) <= now);
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? "");
}

function imageOf(region: string, series: Series, build: Build, archLabel: string, arch: string): Image {
  const values = { arch: archLabel, build: build.build, date: build.date };
  const name = fill(series.name, values);
  const created = creationDate(build.date, name);
  const mappings: BlockDeviceMapping[] = [
    {
      DeviceName: series.rootDeviceName,
      Ebs: {
        DeleteOnTermination: true,
        SnapshotId: publicSnapshotId(region, name),
        VolumeSize: series.volumeSize,
        VolumeType: series.volumeType as never,
        Encrypted: false,
      },
    },
    ...(series.ephemeralDevices ?? []).map((device, i) => ({ DeviceName: device, VirtualName: `ephemeral${i}` })),
  ];
  return {
    ImageId: publicImageId(region, name),
    ImageLocation: fill(series.location, values),
    State: "available",
    OwnerId: series.owner,
    ImageOwnerAlias: series.alias,
    CreationDate: created.toISOString(),
    DeprecationTime: new Date(created.getTime() + series.deprecateAfterDays * DAY).toISOString(),
    Public: true,
    Architecture: arch as ArchitectureValues,
    ImageType: "machine",
    Name: name,
    Description: fill(series.description, values),
    RootDeviceType: "ebs",
    RootDeviceName: series.rootDeviceName,
    BlockDeviceMappings: mappings,
    VirtualizationType: "hvm",
    Hypervisor: "xen",
    EnaSupport: true,
    SriovNetSupport: series.sriovNetSupport,
    BootMode: series.bootMode as never,
    ImdsSupport: series.imdsSupport as never,
    TpmSupport: series.tpmSupport as never,
    PlatformDetails: "Linux/UNIX",
    UsageOperation: "RunInstances",
    FreeTierEligible: series.volumeSize <= 30 && !series.name.startsWith("Deep Learning"),
  };
}

interface RegionCatalogue {
  buildCount: number;
  images: Image[];
  byId: Map<string, Image>;
  snapshots: Set<string>;
}

const catalogues = new Map<string, RegionCatalogue>();

/** Every public image of a region published up to `now`. */
export function publicImages(region: string, now: number): RegionCatalogue {
  const { series } = ec2Data<{ series: Series[] }>("images.json");
  const buildsPerSeries = series.map((s) => buildsUntil(s, now));
  const buildCount = buildsPerSeries.reduce((n, b) => n + b.length, 0);
  const cached = catalogues.get(region);
  if (cached && cached.buildCount === buildCount) return cached;
  const images: Image[] = [];
  series.forEach((s, i) => {
    for (const build of buildsPerSeries[i]) {
      for (const [label, arch] of Object.entries(s.architectures)) images.push(imageOf(region, s, build, label, arch));
    }
  });
  const catalogue: RegionCatalogue = {
    buildCount,
    images,
    byId: new Map(images.map((image) => [image.ImageId!, image])),
    snapshots: new Set(images.flatMap((image) => (image.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId).filter((id): id is string => Boolean(id)))),
  };
  catalogues.set(region, catalogue);
  return catalogue;
}

/** Whether a snapshot id belongs to a public catalogue image (such snapshots hold no bytes in Stratus). */
export function isPublicSnapshot(region: string, snapshotId: string, now: number): boolean {
  return publicImages(region, now).snapshots.has(snapshotId);
}
