/**
 * The price list Stratus serves: products in AWS's price-list shape (product
 * family, attributes, SKU, OnDemand terms with price dimensions), built from
 * the same prices the rest of Stratus uses — EC2's on-demand table (which
 * also sets spot's default maximum price) and data/pricing/storage-prices.json.
 *
 * Service codes: AmazonEC2 (instances by type, region and operating system;
 * EBS volumes, provisioned IOPS/throughput and snapshots) and AmazonS3
 * (storage by class, requests by tier). OnDemand terms only.
 */
import { readFileSync } from "node:fs";
import { projectPath } from "../../core/paths.js";
import { INSTANCE_TYPES } from "../ec2/instance-types/catalog.js";
import { REGIONS } from "../ec2/regions/regions.js";
import { onDemandPrice, unit } from "../ec2/spot/prices.js";
import { ec2Data } from "../ec2/data.js";

export interface PriceDimension {
  unit: string;
  pricePerUnit: number;
  description: string;
  beginRange?: string;
  endRange?: string;
}

export interface Product {
  serviceCode: string;
  productFamily: string;
  attributes: Record<string, string>;
  sku: string;
  dimensions: PriceDimension[];
}

interface StorageData {
  publicationDate: string;
  version: string;
  ebsVolumes: Record<string, { volumeType: string; storageMedia: string; perGbMonth: number; maxVolumeSize: string; maxIopsvolume: string; maxThroughputvolume: string; label: string }>;
  ebsProvisioned: Record<string, { volumeApiName: string; group: string; usage: string; unit: string; price: number; label: string }>;
  ebsSnapshots: Record<string, { usage: string; perGbMonth: number; label: string }>;
  s3Storage: Record<string, { volumeType: string; storageClass: string; usage: string; tiers: Array<[number, number | null, number]> }>;
  s3Requests: Record<string, { group: string; groupDescription: string; per1000: number }>;
  dataTransferOutPerGb: number;
  publicIpv4: Record<"InUse" | "Idle", { usage: string; operation: string; perHour: number; label: string }>;
}

let storage: StorageData | undefined;
export function storageData(): StorageData {
  storage ??= JSON.parse(readFileSync(projectPath("data", "pricing", "storage-prices.json"), "utf8")) as StorageData;
  return storage;
}

/** The usage-type prefix AWS puts before a region's usage types (none for us-east-1). */
const USAGE_PREFIX: Record<string, string> = {
  "us-east-1": "", "us-east-2": "USE2-", "us-west-1": "USW1-", "us-west-2": "USW2-", "ca-central-1": "CAN1-",
  "eu-west-1": "EU-", "eu-west-2": "EUW2-", "eu-west-3": "EUW3-", "eu-central-1": "EUC1-", "eu-north-1": "EUN1-", "eu-south-1": "EUS1-",
  "ap-south-1": "APS3-", "ap-northeast-1": "APN1-", "ap-northeast-2": "APN2-", "ap-northeast-3": "APN3-", "ap-southeast-1": "APS1-",
  "ap-southeast-2": "APS2-", "ap-east-1": "APE1-", "sa-east-1": "SAE1-", "af-south-1": "AFS1-", "me-south-1": "MES1-",
};

/** A region's usage-type prefix ("" in us-east-1, "EUC1-" in eu-central-1). */
export function usagePrefix(region: string): string {
  return USAGE_PREFIX[region] ?? "";
}

/** The price list names European regions "EU (…)", where DescribeRegions' long names say "Europe (…)". */
function locationOf(longName: string): string {
  return longName.replace(/^Europe \(/, "EU (");
}

export function regionMultiplier(region: string): number {
  const data = ec2Data<{ regionMultipliers: Record<string, number> }>("on-demand-prices.json");
  return data.regionMultipliers[region] ?? data.regionMultipliers.default;
}

const SKU_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/** A stable 16-character SKU for a product. */
function skuOf(key: string): string {
  let sku = "";
  for (let i = 0; i < 16; i++) sku += SKU_ALPHABET[Math.floor(unit(`${key}#${i}`) * SKU_ALPHABET.length)];
  return sku;
}

const OPERATING_SYSTEMS = [
  { os: "Linux", product: "Linux/UNIX", operation: "RunInstances", short: "Linux" },
  { os: "RHEL", product: "Red Hat Enterprise Linux", operation: "RunInstances:0010", short: "RHEL" },
  { os: "SUSE", product: "SUSE Linux", operation: "RunInstances:000g", short: "SUSE" },
  { os: "Windows", product: "Windows", operation: "RunInstances:0002", short: "Windows" },
];

function instanceFamily(type: string): string {
  const family = type.split(".")[0];
  if (family === "c5") return "Compute optimized";
  if (family === "r5") return "Memory optimized";
  if (/^(g|p)\d/.test(family)) return "GPU instance";
  return "General purpose";
}

function gib(mib: number): string {
  return `${Number((mib / 1024).toFixed(3))} GiB`;
}

function money(value: number): string {
  return value.toFixed(4).replace(/0{1,2}$/, "");
}

const SERVICE_NAMES: Record<string, string> = {
  AmazonEC2: "Amazon Elastic Compute Cloud",
  AmazonS3: "Amazon Simple Storage Service",
  AmazonVPC: "Amazon Virtual Private Cloud",
};

function baseAttributes(serviceCode: string, region: string, longName: string): Record<string, string> {
  return {
    servicecode: serviceCode,
    servicename: SERVICE_NAMES[serviceCode] ?? serviceCode,
    location: locationOf(longName),
    locationType: "AWS Region",
    regionCode: region,
  };
}

function ec2Instances(): Product[] {
  const out: Product[] = [];
  for (const region of REGIONS) {
    const prefix = USAGE_PREFIX[region.name] ?? "";
    for (const info of INSTANCE_TYPES) {
      const type = info.InstanceType as string;
      const storageInfo = info.InstanceStorageInfo?.Disks?.[0];
      const gpus = info.GpuInfo?.Gpus?.reduce((n, g) => n + (g.Count ?? 0), 0) ?? 0;
      for (const os of OPERATING_SYSTEMS) {
        const price = onDemandPrice(type, region.name, os.product);
        if (price === undefined) continue;
        const attributes: Record<string, string> = {
          ...baseAttributes("AmazonEC2", region.name, region.longName),
          instanceType: type,
          instanceFamily: instanceFamily(type),
          currentGeneration: type.startsWith("t2.") || type.startsWith("p3.") ? "No" : "Yes",
          vcpu: String(info.VCpuInfo?.DefaultVCpus ?? 0),
          memory: gib(info.MemoryInfo?.SizeInMiB ?? 0),
          storage: storageInfo ? `${storageInfo.Count} x ${storageInfo.SizeInGB} NVMe SSD` : "EBS only",
          networkPerformance: info.NetworkInfo?.NetworkPerformance ?? "",
          processorArchitecture: "64-bit",
          physicalProcessor: info.ProcessorInfo?.Manufacturer === "AMD" ? "AMD EPYC" : "Intel Xeon Family",
          clockSpeed: `${info.ProcessorInfo?.SustainedClockSpeedInGhz ?? 2.5} GHz`,
          gpu: String(gpus),
          gpuMemory: gpus ? `${(info.GpuInfo?.TotalGpuMemoryInMiB ?? 0) / 1024} GiB` : "NA",
          tenancy: "Shared",
          operatingSystem: os.os,
          licenseModel: os.os === "Linux" ? "No License required" : "License included",
          preInstalledSw: "NA",
          capacitystatus: "Used",
          marketoption: "OnDemand",
          usagetype: `${prefix}BoxUsage:${type}`,
          operation: os.operation,
        };
        out.push({
          serviceCode: "AmazonEC2",
          productFamily: "Compute Instance",
          attributes,
          sku: skuOf(`ec2/${region.name}/${type}/${os.os}`),
          dimensions: [{ unit: "Hrs", pricePerUnit: price, description: `$${money(price)} per On Demand ${os.short} ${type} Instance Hour`, beginRange: "0", endRange: "Inf" }],
        });
      }
    }
  }
  return out;
}

function ebs(): Product[] {
  const data = storageData();
  const out: Product[] = [];
  for (const region of REGIONS) {
    const prefix = USAGE_PREFIX[region.name] ?? "";
    const factor = regionMultiplier(region.name);
    const location = locationOf(region.longName);
    for (const [api, volume] of Object.entries(data.ebsVolumes)) {
      const price = round(volume.perGbMonth * factor);
      out.push({
        serviceCode: "AmazonEC2",
        productFamily: "Storage",
        attributes: {
          ...baseAttributes("AmazonEC2", region.name, region.longName),
          volumeApiName: api,
          volumeType: volume.volumeType,
          storageMedia: volume.storageMedia,
          maxVolumeSize: volume.maxVolumeSize,
          maxIopsvolume: volume.maxIopsvolume,
          maxThroughputvolume: volume.maxThroughputvolume,
          usagetype: `${prefix}EBS:VolumeUsage${api === "standard" ? "" : api === "io1" ? ".piops" : `.${api}`}`,
          operation: "",
        },
        sku: skuOf(`ebs/${region.name}/${api}`),
        dimensions: [{ unit: "GB-Mo", pricePerUnit: price, description: `$${money(price)} per GB-month of ${volume.label} - ${location}`, beginRange: "0", endRange: "Inf" }],
      });
    }
    for (const [key, provisioned] of Object.entries(data.ebsProvisioned)) {
      const price = round(provisioned.price * factor);
      out.push({
        serviceCode: "AmazonEC2",
        productFamily: provisioned.group === "EBS IOPS" ? "System Operation" : "Provisioned Throughput",
        attributes: {
          ...baseAttributes("AmazonEC2", region.name, region.longName),
          volumeApiName: provisioned.volumeApiName,
          group: provisioned.group,
          groupDescription: provisioned.label,
          usagetype: `${prefix}${provisioned.usage}`,
          operation: "",
        },
        sku: skuOf(`ebs/${region.name}/${key}`),
        dimensions: [{ unit: provisioned.unit, pricePerUnit: price, description: `$${money(price)} per ${provisioned.unit} of ${provisioned.label} - ${location}`, beginRange: "0", endRange: "Inf" }],
      });
    }
    for (const [tier, snapshot] of Object.entries(data.ebsSnapshots)) {
      const price = round(snapshot.perGbMonth * factor);
      out.push({
        serviceCode: "AmazonEC2",
        productFamily: "Storage Snapshot",
        attributes: {
          ...baseAttributes("AmazonEC2", region.name, region.longName),
          storageMedia: "Amazon S3",
          snapshotTier: tier === "archive" ? "Archive" : "Standard",
          usagetype: `${prefix}${snapshot.usage}`,
          operation: "",
        },
        sku: skuOf(`ebs-snapshot/${region.name}/${tier}`),
        dimensions: [{ unit: "GB-Mo", pricePerUnit: price, description: `$${money(price)} per GB-Month of ${snapshot.label} in ${location}`, beginRange: "0", endRange: "Inf" }],
      });
    }
  }
  return out;
}

function s3(): Product[] {
  const data = storageData();
  const out: Product[] = [];
  for (const region of REGIONS) {
    const prefix = USAGE_PREFIX[region.name] ?? "";
    const factor = regionMultiplier(region.name);
    for (const [storageClassName, cls] of Object.entries(data.s3Storage)) {
      out.push({
        serviceCode: "AmazonS3",
        productFamily: "Storage",
        attributes: {
          ...baseAttributes("AmazonS3", region.name, region.longName),
          storageClass: cls.storageClass,
          volumeType: cls.volumeType,
          availability: storageClassName === "ONEZONE_IA" ? "99.5%" : storageClassName === "STANDARD" ? "99.99%" : "99.9%",
          durability: "99.999999999%",
          usagetype: `${prefix}${cls.usage}`,
          operation: "",
        },
        sku: skuOf(`s3/${region.name}/${storageClassName}`),
        dimensions: cls.tiers.map(([begin, end, perGb]) => {
          const price = round(perGb * factor);
          const range = end === null ? (begin === 0 ? "" : ` - over ${begin / 1024} TB`) : ` - ${begin === 0 ? "first" : "next"} ${(end - begin) / 1024} TB`;
          return { unit: "GB-Mo", pricePerUnit: price, description: `$${money(price)} per GB${range} / month of ${cls.volumeType} storage used`, beginRange: String(begin), endRange: end === null ? "Inf" : String(end) };
        }),
      });
    }
    for (const [tier, requests] of Object.entries(data.s3Requests)) {
      const price = requests.per1000 * factor / 1000;
      out.push({
        serviceCode: "AmazonS3",
        productFamily: "API Request",
        attributes: {
          ...baseAttributes("AmazonS3", region.name, region.longName),
          group: requests.group,
          groupDescription: requests.groupDescription,
          usagetype: `${prefix}Requests-${tier}`,
          operation: "",
        },
        sku: skuOf(`s3-requests/${region.name}/${tier}`),
        dimensions: [{ unit: "Requests", pricePerUnit: price, description: `$${money(requests.per1000 * factor)} per 1,000 ${requests.groupDescription}`, beginRange: "0", endRange: "Inf" }],
      });
    }
  }
  return out;
}

export function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** Public IPv4 addresses, in use (on a running instance) and idle (an Elastic IP that is not), by the hour. */
function vpc(): Product[] {
  const out: Product[] = [];
  for (const region of REGIONS) {
    const prefix = USAGE_PREFIX[region.name] ?? "";
    for (const [state, address] of Object.entries(storageData().publicIpv4)) {
      const price = round(address.perHour * regionMultiplier(region.name));
      out.push({
        serviceCode: "AmazonVPC",
        productFamily: "VPC Public IPv4 Address",
        attributes: {
          ...baseAttributes("AmazonVPC", region.name, region.longName),
          group: "VPCPublicIPv4Address",
          groupDescription: `Hourly charge for ${address.label}`,
          usagetype: `${prefix}${address.usage}`,
          operation: address.operation,
        },
        sku: skuOf(`vpc/${region.name}/public-ipv4/${state}`),
        dimensions: [{ unit: "Hrs", pricePerUnit: price, description: `$${money(price)} per ${address.label.replace(/Addresses$/, "Address")} per hour`, beginRange: "0", endRange: "Inf" }],
      });
    }
  }
  return out;
}

const BUILDERS: Record<string, () => Product[]> = {
  AmazonEC2: () => [...ec2Instances(), ...ebs()],
  AmazonS3: s3,
  AmazonVPC: vpc,
};

export const SERVICE_CODES = Object.keys(BUILDERS);

const built = new Map<string, Product[]>();

/** Every product of a service code (empty for one Stratus does not price). */
export function productsOf(serviceCode: string): Product[] {
  let products = built.get(serviceCode);
  if (!products) {
    products = BUILDERS[serviceCode]?.() ?? [];
    built.set(serviceCode, products);
  }
  return products;
}

/** The attribute names a service's products carry, sorted. */
export function attributeNamesOf(serviceCode: string): string[] {
  const names = new Set<string>();
  for (const product of productsOf(serviceCode)) for (const name of Object.keys(product.attributes)) names.add(name);
  if (names.size) names.add("productFamily");
  return [...names].sort();
}

/** The price-list document (a JSON string in GetProducts' PriceList) for a product. */
export function priceListItem(product: Product): string {
  const { publicationDate, version } = storageData();
  const offer = "JRTCKXETXF";
  const term = `${product.sku}.${offer}`;
  const priceDimensions: Record<string, unknown> = {};
  product.dimensions.forEach((d, i) => {
    const rateCode = `${term}.${i === 0 ? "6YS6EN2CT7" : skuOf(`${product.sku}/rate/${i}`).slice(0, 10)}`;
    priceDimensions[rateCode] = {
      unit: d.unit,
      endRange: d.endRange ?? "Inf",
      description: d.description,
      appliesTo: [],
      rateCode,
      beginRange: d.beginRange ?? "0",
      pricePerUnit: { USD: d.pricePerUnit.toFixed(10) },
    };
  });
  return JSON.stringify({
    product: { productFamily: product.productFamily, attributes: product.attributes, sku: product.sku },
    serviceCode: product.serviceCode,
    terms: { OnDemand: { [term]: { priceDimensions, sku: product.sku, effectiveDate: publicationDate, offerTermCode: offer, termAttributes: {} } } },
    version,
    publicationDate,
  });
}
