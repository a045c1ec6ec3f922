/** DescribeInstanceTypes and DescribeInstanceTypeOfferings. */
import type { Cloud } from "../../../cloud.js";
import type {
  DescribeInstanceTypeOfferingsRequest,
  DescribeInstanceTypeOfferingsResult,
  DescribeInstanceTypesRequest,
  DescribeInstanceTypesResult,
  InstanceTypeInfo,
  InstanceTypeOffering,
} from "../../../generated/ec2.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters } from "../filters.js";
import { paginate } from "../pagination.js";
import { regionInfo } from "../regions/regions.js";
import { INSTANCE_TYPES, instanceType } from "./catalog.js";
import { offeredInZone } from "./offerings.js";

type T = InstanceTypeInfo;

const FIELDS: Record<string, (t: T) => unknown> = {
  "auto-recovery-supported": (t) => t.AutoRecoverySupported,
  "bare-metal": (t) => t.BareMetal,
  "burstable-performance-supported": (t) => t.BurstablePerformanceSupported,
  "current-generation": (t) => t.CurrentGeneration,
  "dedicated-hosts-supported": (t) => t.DedicatedHostsSupported,
  "ebs-info.ebs-optimized-info.baseline-bandwidth-in-mbps": (t) => t.EbsInfo?.EbsOptimizedInfo?.BaselineBandwidthInMbps,
  "ebs-info.ebs-optimized-info.baseline-iops": (t) => t.EbsInfo?.EbsOptimizedInfo?.BaselineIops,
  "ebs-info.ebs-optimized-info.baseline-throughput-in-mbps": (t) => t.EbsInfo?.EbsOptimizedInfo?.BaselineThroughputInMBps,
  "ebs-info.ebs-optimized-info.maximum-bandwidth-in-mbps": (t) => t.EbsInfo?.EbsOptimizedInfo?.MaximumBandwidthInMbps,
  "ebs-info.ebs-optimized-info.maximum-iops": (t) => t.EbsInfo?.EbsOptimizedInfo?.MaximumIops,
  "ebs-info.ebs-optimized-info.maximum-throughput-in-mbps": (t) => t.EbsInfo?.EbsOptimizedInfo?.MaximumThroughputInMBps,
  "ebs-info.ebs-optimized-support": (t) => t.EbsInfo?.EbsOptimizedSupport,
  "ebs-info.encryption-support": (t) => t.EbsInfo?.EncryptionSupport,
  "ebs-info.nvme-support": (t) => t.EbsInfo?.NvmeSupport,
  "free-tier-eligible": (t) => t.FreeTierEligible,
  "hibernation-supported": (t) => t.HibernationSupported,
  hypervisor: (t) => t.Hypervisor,
  "instance-storage-info.disk.count": (t) => t.InstanceStorageInfo?.Disks?.map((d) => d.Count),
  "instance-storage-info.disk.size-in-gb": (t) => t.InstanceStorageInfo?.Disks?.map((d) => d.SizeInGB),
  "instance-storage-info.disk.type": (t) => t.InstanceStorageInfo?.Disks?.map((d) => d.Type),
  "instance-storage-info.encryption-support": (t) => t.InstanceStorageInfo?.EncryptionSupport,
  "instance-storage-info.nvme-support": (t) => t.InstanceStorageInfo?.NvmeSupport,
  "instance-storage-info.total-size-in-gb": (t) => t.InstanceStorageInfo?.TotalSizeInGB,
  "instance-storage-supported": (t) => t.InstanceStorageSupported,
  "instance-type": (t) => t.InstanceType,
  "memory-info.size-in-mib": (t) => t.MemoryInfo?.SizeInMiB,
  "network-info.efa-supported": (t) => t.NetworkInfo?.EfaSupported,
  "network-info.ena-support": (t) => t.NetworkInfo?.EnaSupport,
  "network-info.encryption-in-transit-supported": (t) => t.NetworkInfo?.EncryptionInTransitSupported,
  "network-info.ipv4-addresses-per-interface": (t) => t.NetworkInfo?.Ipv4AddressesPerInterface,
  "network-info.ipv6-addresses-per-interface": (t) => t.NetworkInfo?.Ipv6AddressesPerInterface,
  "network-info.ipv6-supported": (t) => t.NetworkInfo?.Ipv6Supported,
  "network-info.maximum-network-cards": (t) => t.NetworkInfo?.MaximumNetworkCards,
  "network-info.maximum-network-interfaces": (t) => t.NetworkInfo?.MaximumNetworkInterfaces,
  "network-info.network-performance": (t) => t.NetworkInfo?.NetworkPerformance,
  "nitro-enclaves-support": (t) => t.NitroEnclavesSupport,
  "nitro-tpm-support": (t) => t.NitroTpmSupport,
  "nitro-tpm-info.supported-versions": (t) => t.NitroTpmInfo?.SupportedVersions,
  "processor-info.manufacturer": (t) => t.ProcessorInfo?.Manufacturer,
  "processor-info.supported-architecture": (t) => t.ProcessorInfo?.SupportedArchitectures,
  "processor-info.sustained-clock-speed-in-ghz": (t) => t.ProcessorInfo?.SustainedClockSpeedInGhz,
  "supported-boot-mode": (t) => t.SupportedBootModes,
  "supported-root-device-type": (t) => t.SupportedRootDeviceTypes,
  "supported-usage-class": (t) => t.SupportedUsageClasses,
  "supported-virtualization-type": (t) => t.SupportedVirtualizationTypes,
  "vcpu-info.default-cores": (t) => t.VCpuInfo?.DefaultCores,
  "vcpu-info.default-threads-per-core": (t) => t.VCpuInfo?.DefaultThreadsPerCore,
  "vcpu-info.default-vcpus": (t) => t.VCpuInfo?.DefaultVCpus,
  "vcpu-info.valid-cores": (t) => t.VCpuInfo?.ValidCores,
  "vcpu-info.valid-threads-per-core": (t) => t.VCpuInfo?.ValidThreadsPerCore,
};

export class InstanceTypesModule {
  constructor(readonly cloud: Cloud) {}

  DescribeInstanceTypes(input: DescribeInstanceTypesRequest, _ctx: CallContext): DescribeInstanceTypesResult {
    let types = [...INSTANCE_TYPES];
    if (input.InstanceTypes?.length) {
      const unknown = input.InstanceTypes.filter((name) => !instanceType(name));
      if (unknown.length) {
        throw Ec2Errors.custom("InvalidInstanceType", `The following supplied instance types do not exist: [${unknown.join(", ")}]`);
      }
      types = types.filter((t) => input.InstanceTypes!.includes(t.InstanceType!));
    }
    const predicate = compileFilters<T>(input.Filters, { fields: FIELDS as never });
    const page = paginate(types.filter(predicate), input, { min: 5, max: 100 }, (t) => sortKey(t.InstanceType!));
    return { InstanceTypes: page.items, NextToken: page.nextToken };
  }

  DescribeInstanceTypeOfferings(input: DescribeInstanceTypeOfferingsRequest, ctx: CallContext): DescribeInstanceTypeOfferingsResult {
    const region = regionInfo(ctx.region);
    const locationType = input.LocationType ?? "region";
    const offerings: InstanceTypeOffering[] = [];
    for (const type of INSTANCE_TYPES) {
      const name = type.InstanceType!;
      if (locationType === "region") {
        offerings.push({ InstanceType: name, LocationType: "region", Location: region.name });
        continue;
      }
      for (const zone of region.zones) {
        if (!offeredInZone(region.name, zone, name)) continue;
        offerings.push({ InstanceType: name, LocationType: locationType, Location: locationType === "availability-zone" ? zone.name : zone.id });
      }
    }
    const predicate = compileFilters<InstanceTypeOffering>(input.Filters, {
      fields: { location: (o) => o.Location, "instance-type": (o) => o.InstanceType },
    });
    const page = paginate(offerings.filter(predicate), input, { min: 5, max: 1000 }, (o) => `${sortKey(o.InstanceType!)}\u0000${o.Location}`);
    return { InstanceTypeOfferings: page.items, NextToken: page.nextToken };
  }
}

const SIZES = ["nano", "micro", "small", "medium", "large", "xlarge"];

/** Orders types by family, then size (t2.nano < t2.micro < ... < t2.2xlarge), so pages read naturally. */
function sortKey(type: string): string {
  const [family, size] = type.split(".");
  let rank = SIZES.indexOf(size);
  if (rank < 0) {
    const match = /^(\d+)xlarge$/.exec(size);
    rank = match ? 5 + Number(match[1]) : 999;
  }
  return `${family}.${String(rank).padStart(4, "0")}`;
}
