/**
 * Attribute-based instance type selection: the instance types of the
 * catalogue (offered in the region) that an InstanceRequirements names —
 * vCPUs, memory, memory per vCPU, CPU manufacturers, allowed or excluded
 * types (with * wildcards), generations, bare metal, burstable, local
 * storage and accelerators (count, manufacturer, name, type, total memory).
 * Price protection (the *PricePercentageOverLowestPrice thresholds) is not
 * applied: every matching type is a candidate.
 */
import type { InstanceRequirementsRequest, InstanceTypeInfo } from "../../../generated/ec2.js";
import { Ec2Errors } from "../errors.js";
import { INSTANCE_TYPES } from "../instance-types/catalog.js";
import { zonesOffering } from "../instance-types/offerings.js";

type Range = { Min?: number; Max?: number } | undefined;

const within = (value: number, range: Range) => range === undefined || ((range.Min === undefined || value >= range.Min) && (range.Max === undefined || value <= range.Max));

/** included | excluded | required, against whether the type has the feature. */
function allows(setting: string | undefined, fallback: "included" | "excluded", has: boolean): boolean {
  const value = setting ?? fallback;
  return value === "included" || (value === "required" ? has : !has);
}

function pattern(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
}

/** Checks an InstanceRequirements as EC2 does before any type is matched. */
export function checkRequirements(req: InstanceRequirementsRequest, where: string): void {
  if (req.VCpuCount?.Min === undefined) throw Ec2Errors.missingParameter(`${where}.VCpuCount.Min`);
  if (req.MemoryMiB?.Min === undefined) throw Ec2Errors.missingParameter(`${where}.MemoryMiB.Min`);
  for (const [name, range] of Object.entries({ VCpuCount: req.VCpuCount, MemoryMiB: req.MemoryMiB, AcceleratorCount: req.AcceleratorCount }) as Array<[string, Range]>) {
    if (range?.Min !== undefined && range.Max !== undefined && range.Min > range.Max) {
      throw Ec2Errors.invalidParameterValue(`${where}.${name}: the minimum (${range.Min}) must not be greater than the maximum (${range.Max}).`);
    }
  }
  if (req.AllowedInstanceTypes?.length && req.ExcludedInstanceTypes?.length) {
    throw Ec2Errors.invalidParameterCombination(`${where}: you can specify AllowedInstanceTypes or ExcludedInstanceTypes, but not both.`);
  }
}

function matches(req: InstanceRequirementsRequest, info: InstanceTypeInfo): boolean {
  const name = info.InstanceType!;
  const vcpus = info.VCpuInfo?.DefaultVCpus ?? 0;
  const memory = info.MemoryInfo?.SizeInMiB ?? 0;
  const gpus = info.GpuInfo?.Gpus ?? [];
  const gpuCount = gpus.reduce((n, g) => n + (g.Count ?? 0), 0);
  if (!within(vcpus, req.VCpuCount) || !within(memory, req.MemoryMiB)) return false;
  if (!within(memory / 1024 / Math.max(1, vcpus), req.MemoryGiBPerVCpu)) return false;
  if (req.CpuManufacturers?.length && !req.CpuManufacturers.includes((info.ProcessorInfo?.Manufacturer ?? "").toLowerCase() as never)) return false;
  if (req.AllowedInstanceTypes?.length && !req.AllowedInstanceTypes.some((p) => pattern(p).test(name))) return false;
  if (req.ExcludedInstanceTypes?.some((p) => pattern(p).test(name))) return false;
  if (req.InstanceGenerations?.length && !req.InstanceGenerations.includes(info.CurrentGeneration ? "current" : "previous")) return false;
  if (!allows(req.BareMetal, "excluded", Boolean(info.BareMetal))) return false;
  if (!allows(req.BurstablePerformance, "excluded", Boolean(info.BurstablePerformanceSupported))) return false;
  if (!allows(req.LocalStorage, "included", Boolean(info.InstanceStorageSupported))) return false;
  if (!within(gpuCount, req.AcceleratorCount)) return false;
  if (req.AcceleratorTypes?.length && !(gpuCount > 0 && req.AcceleratorTypes.includes("gpu"))) return false;
  if (req.AcceleratorManufacturers?.length && !gpus.some((g) => req.AcceleratorManufacturers!.includes((g.Manufacturer ?? "").toLowerCase() as never))) return false;
  if (req.AcceleratorNames?.length && !gpus.some((g) => req.AcceleratorNames!.includes((g.Name ?? "").toLowerCase() as never))) return false;
  if (!within(info.GpuInfo?.TotalGpuMemoryInMiB ?? 0, req.AcceleratorTotalMemoryMiB)) return false;
  return true;
}

/** The instance types offered in the region that match, by name. */
export function typesMatching(req: InstanceRequirementsRequest, region: string): string[] {
  return INSTANCE_TYPES.filter((info) => matches(req, info) && zonesOffering(region, info.InstanceType!).length > 0)
    .map((info) => info.InstanceType!)
    .sort();
}
