/**
 * The instance types Stratus knows, with AWS's published figures: vCPUs,
 * memory, GPUs, instance storage, network performance, ENI limits and EBS
 * bandwidth. One compact row per type; `describeType` expands it into the
 * InstanceTypeInfo shape.
 */
import type { ArchitectureType, InstanceTypeInfo } from "../../../generated/ec2.js";

interface FamilyTraits {
  manufacturer: "Intel" | "AMD";
  clockGhz: number;
  architectures: ArchitectureType[];
  hypervisor: "xen" | "nitro";
  threadsPerCore: number;
  burstable?: boolean;
  gpu?: { name: string; manufacturer: string; memoryMiB: number };
  /** Nitro types require NVMe and ENA; Xen ones support neither NVMe nor (t2) ENA. */
  ena: "unsupported" | "supported" | "required";
  nvme: "unsupported" | "required";
  ebsOptimized: "unsupported" | "supported" | "default";
  bootModes: Array<"legacy-bios" | "uefi">;
  placement: Array<"cluster" | "partition" | "spread">;
}

const FAMILIES: Record<string, FamilyTraits> = {
  t2: { manufacturer: "Intel", clockGhz: 2.3, architectures: ["x86_64"], hypervisor: "xen", threadsPerCore: 1, burstable: true, ena: "unsupported", nvme: "unsupported", ebsOptimized: "unsupported", bootModes: ["legacy-bios"], placement: ["partition", "spread"] },
  t3: { manufacturer: "Intel", clockGhz: 2.5, architectures: ["x86_64"], hypervisor: "nitro", threadsPerCore: 2, burstable: true, ena: "required", nvme: "required", ebsOptimized: "default", bootModes: ["legacy-bios", "uefi"], placement: ["partition", "spread"] },
  t3a: { manufacturer: "AMD", clockGhz: 2.2, architectures: ["x86_64"], hypervisor: "nitro", threadsPerCore: 2, burstable: true, ena: "required", nvme: "required", ebsOptimized: "default", bootModes: ["legacy-bios", "uefi"], placement: ["partition", "spread"] },
  m5: { manufacturer: "Intel", clockGhz: 3.1, architectures: ["x86_64"], hypervisor: "nitro", threadsPerCore: 2, ena: "required", nvme: "required", ebsOptimized: "default", bootModes: ["legacy-bios", "uefi"], placement: ["cluster", "partition", "spread"] },
  c5: { manufacturer: "Intel", clockGhz: 3.4, architectures: ["x86_64"], hypervisor: "nitro", threadsPerCore: 2, ena: "required", nvme: "required", ebsOptimized: "default", bootModes: ["legacy-bios", "uefi"], placement: ["cluster", "partition", "spread"] },
  r5: { manufacturer: "Intel", clockGhz: 3.1, architectures: ["x86_64"], hypervisor: "nitro", threadsPerCore: 2, ena: "required", nvme: "required", ebsOptimized: "default", bootModes: ["legacy-bios", "uefi"], placement: ["cluster", "partition", "spread"] },
  g4dn: { manufacturer: "Intel", clockGhz: 2.5, architectures: ["x86_64"], hypervisor: "nitro", threadsPerCore: 2, gpu: { name: "T4", manufacturer: "NVIDIA", memoryMiB: 16384 }, ena: "required", nvme: "required", ebsOptimized: "default", bootModes: ["legacy-bios", "uefi"], placement: ["cluster", "partition", "spread"] },
  g5: { manufacturer: "AMD", clockGhz: 3.3, architectures: ["x86_64"], hypervisor: "nitro", threadsPerCore: 2, gpu: { name: "A10G", manufacturer: "NVIDIA", memoryMiB: 24576 }, ena: "required", nvme: "required", ebsOptimized: "default", bootModes: ["legacy-bios", "uefi"], placement: ["cluster", "partition", "spread"] },
  p3: { manufacturer: "Intel", clockGhz: 2.3, architectures: ["x86_64"], hypervisor: "xen", threadsPerCore: 2, gpu: { name: "V100", manufacturer: "NVIDIA", memoryMiB: 16384 }, ena: "supported", nvme: "unsupported", ebsOptimized: "default", bootModes: ["legacy-bios"], placement: ["cluster", "partition", "spread"] },
  p3dn: { manufacturer: "Intel", clockGhz: 2.5, architectures: ["x86_64"], hypervisor: "nitro", threadsPerCore: 2, gpu: { name: "V100", manufacturer: "NVIDIA", memoryMiB: 32768 }, ena: "required", nvme: "required", ebsOptimized: "default", bootModes: ["legacy-bios", "uefi"], placement: ["cluster", "partition", "spread"] },
};

/**
 * type, vCPUs, memory GiB, network performance, ENIs, IPv4 per ENI,
 * EBS baseline/maximum Mbps, GPUs, instance storage [count, GB each].
 */
type Row = [string, number, number, string, number, number, number, number, number?, [number, number]?];

const ROWS: Row[] = [
  ["t2.nano", 1, 0.5, "Low to Moderate", 2, 2, 0, 0],
  ["t2.micro", 1, 1, "Low to Moderate", 2, 2, 0, 0],
  ["t2.small", 1, 2, "Low to Moderate", 3, 4, 0, 0],
  ["t2.medium", 2, 4, "Low to Moderate", 3, 6, 0, 0],
  ["t2.large", 2, 8, "Low to Moderate", 3, 12, 0, 0],
  ["t2.xlarge", 4, 16, "Moderate", 3, 15, 0, 0],
  ["t2.2xlarge", 8, 32, "Moderate", 3, 15, 0, 0],
  ["t3.nano", 2, 0.5, "Up to 5 Gigabit", 2, 2, 32, 2085],
  ["t3.micro", 2, 1, "Up to 5 Gigabit", 2, 2, 64, 2085],
  ["t3.small", 2, 2, "Up to 5 Gigabit", 3, 4, 128, 2085],
  ["t3.medium", 2, 4, "Up to 5 Gigabit", 3, 6, 174, 2085],
  ["t3.large", 2, 8, "Up to 5 Gigabit", 3, 12, 347, 2780],
  ["t3.xlarge", 4, 16, "Up to 5 Gigabit", 4, 15, 695, 2780],
  ["t3.2xlarge", 8, 32, "Up to 5 Gigabit", 4, 15, 695, 2780],
  ["t3a.nano", 2, 0.5, "Up to 5 Gigabit", 2, 2, 45, 2085],
  ["t3a.micro", 2, 1, "Up to 5 Gigabit", 2, 2, 90, 2085],
  ["t3a.small", 2, 2, "Up to 5 Gigabit", 2, 4, 175, 2085],
  ["t3a.medium", 2, 4, "Up to 5 Gigabit", 3, 6, 350, 2085],
  ["t3a.large", 2, 8, "Up to 5 Gigabit", 3, 12, 695, 2780],
  ["t3a.xlarge", 4, 16, "Up to 5 Gigabit", 4, 15, 695, 2780],
  ["t3a.2xlarge", 8, 32, "Up to 5 Gigabit", 4, 15, 695, 2780],
  ["m5.large", 2, 8, "Up to 10 Gigabit", 3, 10, 650, 4750],
  ["m5.xlarge", 4, 16, "Up to 10 Gigabit", 4, 15, 1150, 4750],
  ["m5.2xlarge", 8, 32, "Up to 10 Gigabit", 4, 15, 2300, 4750],
  ["m5.4xlarge", 16, 64, "Up to 10 Gigabit", 8, 30, 4750, 4750],
  ["m5.8xlarge", 32, 128, "10 Gigabit", 8, 30, 6800, 6800],
  ["m5.12xlarge", 48, 192, "12 Gigabit", 8, 30, 9500, 9500],
  ["m5.16xlarge", 64, 256, "20 Gigabit", 15, 50, 13600, 13600],
  ["m5.24xlarge", 96, 384, "25 Gigabit", 15, 50, 19000, 19000],
  ["m5.metal", 96, 384, "25 Gigabit", 15, 50, 19000, 19000],
  ["c5.large", 2, 4, "Up to 10 Gigabit", 3, 10, 650, 4750],
  ["c5.xlarge", 4, 8, "Up to 10 Gigabit", 4, 15, 1150, 4750],
  ["c5.2xlarge", 8, 16, "Up to 10 Gigabit", 4, 15, 2300, 4750],
  ["c5.4xlarge", 16, 32, "Up to 10 Gigabit", 8, 30, 4750, 4750],
  ["c5.9xlarge", 36, 72, "12 Gigabit", 8, 30, 9500, 9500],
  ["c5.12xlarge", 48, 96, "12 Gigabit", 8, 30, 9500, 9500],
  ["c5.18xlarge", 72, 144, "25 Gigabit", 15, 50, 19000, 19000],
  ["c5.24xlarge", 96, 192, "25 Gigabit", 15, 50, 19000, 19000],
  ["c5.metal", 96, 192, "25 Gigabit", 15, 50, 19000, 19000],
  ["r5.large", 2, 16, "Up to 10 Gigabit", 3, 10, 650, 4750],
  ["r5.xlarge", 4, 32, "Up to 10 Gigabit", 4, 15, 1150, 4750],
  ["r5.2xlarge", 8, 64, "Up to 10 Gigabit", 4, 15, 2300, 4750],
  ["r5.4xlarge", 16, 128, "Up to 10 Gigabit", 8, 30, 4750, 4750],
  ["r5.8xlarge", 32, 256, "10 Gigabit", 8, 30, 6800, 6800],
  ["r5.12xlarge", 48, 384, "12 Gigabit", 8, 30, 9500, 9500],
  ["r5.16xlarge", 64, 512, "20 Gigabit", 15, 50, 13600, 13600],
  ["r5.24xlarge", 96, 768, "25 Gigabit", 15, 50, 19000, 19000],
  ["r5.metal", 96, 768, "25 Gigabit", 15, 50, 19000, 19000],
  ["g4dn.xlarge", 4, 16, "Up to 25 Gigabit", 3, 10, 950, 3500, 1, [1, 125]],
  ["g4dn.2xlarge", 8, 32, "Up to 25 Gigabit", 3, 10, 1150, 3500, 1, [1, 225]],
  ["g4dn.4xlarge", 16, 64, "Up to 25 Gigabit", 3, 10, 4750, 4750, 1, [1, 225]],
  ["g4dn.8xlarge", 32, 128, "50 Gigabit", 4, 15, 9500, 9500, 1, [1, 900]],
  ["g4dn.12xlarge", 48, 192, "50 Gigabit", 8, 30, 9500, 9500, 4, [1, 900]],
  ["g4dn.16xlarge", 64, 256, "50 Gigabit", 4, 15, 9500, 9500, 1, [1, 900]],
  ["g4dn.metal", 96, 384, "100 Gigabit", 15, 50, 19000, 19000, 8, [2, 900]],
  ["g5.xlarge", 4, 16, "Up to 10 Gigabit", 4, 15, 700, 3500, 1, [1, 250]],
  ["g5.2xlarge", 8, 32, "Up to 10 Gigabit", 4, 15, 850, 3500, 1, [1, 450]],
  ["g5.4xlarge", 16, 64, "Up to 25 Gigabit", 8, 30, 4750, 4750, 1, [1, 600]],
  ["g5.8xlarge", 32, 128, "25 Gigabit", 8, 30, 16000, 16000, 1, [1, 900]],
  ["g5.12xlarge", 48, 192, "40 Gigabit", 15, 50, 16000, 16000, 4, [1, 3800]],
  ["g5.16xlarge", 64, 256, "25 Gigabit", 8, 30, 16000, 16000, 1, [1, 1900]],
  ["g5.24xlarge", 96, 384, "50 Gigabit", 15, 50, 19000, 19000, 4, [1, 3800]],
  ["g5.48xlarge", 192, 768, "100 Gigabit", 7, 50, 19000, 19000, 8, [2, 3800]],
  ["p3.2xlarge", 8, 61, "Up to 10 Gigabit", 4, 15, 1750, 1750, 1],
  ["p3.8xlarge", 32, 244, "10 Gigabit", 8, 30, 7000, 7000, 4],
  ["p3.16xlarge", 64, 488, "25 Gigabit", 8, 30, 14000, 14000, 8],
  ["p3dn.24xlarge", 96, 768, "100 Gigabit", 15, 50, 19000, 19000, 8, [2, 900]],
];

/** Large enough for EFA: the bigger GPU sizes and p3dn. */
const EFA = new Set(["g4dn.8xlarge", "g4dn.12xlarge", "g4dn.16xlarge", "g4dn.metal", "g5.8xlarge", "g5.12xlarge", "g5.16xlarge", "g5.24xlarge", "g5.48xlarge", "p3dn.24xlarge"]);
/** t2's smallest sizes also run 32-bit AMIs. */
const I386 = new Set(["t2.nano", "t2.micro", "t2.small", "t2.medium"]);
const FREE_TIER = new Set(["t2.micro", "t3.micro"]);

function describe(row: Row): InstanceTypeInfo {
  const [type, vcpus, memoryGiB, network, enis, ipv4, ebsBase, ebsMax, gpus, storage] = row;
  const family = type.split(".")[0];
  const size = type.split(".")[1];
  const traits = FAMILIES[family];
  const metal = size === "metal";
  const threads = traits.threadsPerCore;
  const cores = Math.max(1, vcpus / threads);
  const info: InstanceTypeInfo = {
    InstanceType: type as InstanceTypeInfo["InstanceType"],
    CurrentGeneration: true,
    FreeTierEligible: FREE_TIER.has(type),
    SupportedUsageClasses: ["on-demand", "spot"],
    SupportedRootDeviceTypes: ["ebs"],
    SupportedVirtualizationTypes: ["hvm"],
    BareMetal: metal,
    Hypervisor: metal ? undefined : traits.hypervisor,
    ProcessorInfo: {
      SupportedArchitectures: I386.has(type) ? ["i386", "x86_64"] : traits.architectures,
      SustainedClockSpeedInGhz: traits.clockGhz,
      Manufacturer: traits.manufacturer,
    },
    VCpuInfo: {
      DefaultVCpus: vcpus,
      DefaultCores: cores,
      DefaultThreadsPerCore: threads,
      ValidCores: metal || traits.burstable ? undefined : Array.from({ length: cores }, (_, i) => i + 1).filter((c) => c === 1 || c % 2 === 0 || c === cores),
      ValidThreadsPerCore: metal || traits.burstable ? undefined : threads === 2 ? [1, 2] : [1],
    },
    MemoryInfo: { SizeInMiB: Math.round(memoryGiB * 1024) },
    InstanceStorageSupported: Boolean(storage),
    InstanceStorageInfo: storage
      ? {
          TotalSizeInGB: storage[0] * storage[1],
          Disks: [{ Count: storage[0], SizeInGB: storage[1], Type: "ssd" }],
          NvmeSupport: "required",
          EncryptionSupport: "required",
        }
      : undefined,
    EbsInfo: {
      EbsOptimizedSupport: traits.ebsOptimized,
      EncryptionSupport: "supported",
      NvmeSupport: traits.nvme,
      EbsOptimizedInfo:
        ebsBase > 0
          ? {
              BaselineBandwidthInMbps: ebsBase,
              BaselineThroughputInMBps: Math.round((ebsBase / 8) * 1000) / 1000,
              BaselineIops: Math.round(ebsBase * 5.77),
              MaximumBandwidthInMbps: ebsMax,
              MaximumThroughputInMBps: Math.round((ebsMax / 8) * 1000) / 1000,
              MaximumIops: Math.round(ebsMax * 3.95),
            }
          : undefined,
    },
    NetworkInfo: {
      NetworkPerformance: network,
      MaximumNetworkInterfaces: enis,
      MaximumNetworkCards: 1,
      DefaultNetworkCardIndex: 0,
      NetworkCards: [{ NetworkCardIndex: 0, NetworkPerformance: network, MaximumNetworkInterfaces: enis }],
      Ipv4AddressesPerInterface: ipv4,
      Ipv6AddressesPerInterface: ipv4,
      Ipv6Supported: true,
      EnaSupport: traits.ena,
      EfaSupported: EFA.has(type),
      EncryptionInTransitSupported: traits.hypervisor === "nitro" && !traits.burstable && family !== "m5" && family !== "c5" && family !== "r5",
      EnaSrdSupported: false,
    },
    GpuInfo: gpus && traits.gpu
      ? {
          Gpus: [{ Name: traits.gpu.name, Manufacturer: traits.gpu.manufacturer, Count: gpus, MemoryInfo: { SizeInMiB: traits.gpu.memoryMiB } }],
          TotalGpuMemoryInMiB: gpus * traits.gpu.memoryMiB,
        }
      : undefined,
    PlacementGroupInfo: { SupportedStrategies: traits.placement },
    HibernationSupported: !metal && !traits.gpu && memoryGiB <= 150,
    BurstablePerformanceSupported: Boolean(traits.burstable),
    DedicatedHostsSupported: family !== "t2",
    AutoRecoverySupported: !storage,
    SupportedBootModes: traits.bootModes,
    NitroEnclavesSupport: traits.hypervisor === "nitro" && !traits.burstable && !traits.gpu && vcpus >= 4 ? "supported" : "unsupported",
    NitroTpmSupport: traits.hypervisor === "nitro" && !metal ? "supported" : "unsupported",
    NitroTpmInfo: traits.hypervisor === "nitro" && !metal ? { SupportedVersions: ["2.0"] } : undefined,
    PhcSupport: traits.hypervisor === "nitro" ? "supported" : "unsupported",
  };
  return info;
}

export const INSTANCE_TYPES: readonly InstanceTypeInfo[] = ROWS.map(describe);
const BY_NAME = new Map(INSTANCE_TYPES.map((t) => [t.InstanceType as string, t]));

export function instanceType(name: string): InstanceTypeInfo | undefined {
  return BY_NAME.get(name);
}

/** GiB of memory, vCPUs and GPUs of a type (for metrics and spot capacity). */
export function typeShape(name: string): { vcpus: number; memoryMiB: number; gpus: number; burstable: boolean; storage: boolean; hypervisor: "xen" | "nitro" } {
  const info = BY_NAME.get(name);
  return {
    hypervisor: info?.Hypervisor === "xen" ? "xen" : "nitro",
    vcpus: info?.VCpuInfo?.DefaultVCpus ?? 2,
    memoryMiB: info?.MemoryInfo?.SizeInMiB ?? 4096,
    gpus: info?.GpuInfo?.Gpus?.reduce((n, g) => n + (g.Count ?? 0), 0) ?? 0,
    burstable: Boolean(info?.BurstablePerformanceSupported),
    storage: Boolean(info?.InstanceStorageSupported),
  };
}
