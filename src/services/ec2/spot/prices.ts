/**
 * Prices. On-demand prices come from data/ec2/on-demand-prices.json. Spot
 * prices follow a deterministic model per (instance type, zone, product):
 *
 *  - the price changes at the start of each 6-hour epoch, each series with
 *    its own offset (so changes don't all land at once);
 *  - each series has a base discount: between 60% and 75% below on-demand;
 *  - each epoch moves the price ±15% around that base, and about one epoch
 *    in fifty is a spike to 80–100% of on-demand (capacity crunch);
 *  - the price never exceeds on-demand and is rounded to 4 decimals.
 *
 * So spot prices are well below on-demand on average, move over the clock,
 * and are the same for everyone asking about the same time.
 */
import { instanceType } from "../instance-types/catalog.js";
import { ec2Data } from "../data.js";

interface PriceData {
  linuxUsEast1: Record<string, number>;
  regionMultipliers: Record<string, number>;
  licensePerVcpuHour: Record<string, number>;
  burstableWindowsPerVcpuHour: number;
}

export const EPOCH_MS = 6 * 3_600_000;

export const PRODUCT_DESCRIPTIONS = [
  "Linux/UNIX",
  "Linux/UNIX (Amazon VPC)",
  "SUSE Linux",
  "SUSE Linux (Amazon VPC)",
  "Red Hat Enterprise Linux",
  "Red Hat Enterprise Linux (Amazon VPC)",
  "Windows",
  "Windows (Amazon VPC)",
] as const;

function baseProduct(product: string): string {
  return product.replace(" (Amazon VPC)", "");
}

export function isProductDescription(value: string): boolean {
  return (PRODUCT_DESCRIPTIONS as readonly string[]).includes(value);
}

/** On-demand hourly price in USD, or undefined for an unknown type. */
export function onDemandPrice(type: string, region: string, product = "Linux/UNIX"): number | undefined {
  const data = ec2Data<PriceData>("on-demand-prices.json");
  const linux = data.linuxUsEast1[type];
  if (linux === undefined) return undefined;
  const multiplier = data.regionMultipliers[region] ?? data.regionMultipliers.default;
  const info = instanceType(type);
  const vcpus = info?.VCpuInfo?.DefaultVCpus ?? 1;
  const os = baseProduct(product);
  let license = (data.licensePerVcpuHour[os] ?? 0) * vcpus;
  if (os === "Windows" && info?.BurstablePerformanceSupported) license = data.burstableWindowsPerVcpuHour * vcpus;
  return round4(linux * multiplier + license);
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** A deterministic number in [0, 1) from text. */
export function unit(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

export interface SeriesKey {
  type: string;
  zone: string;
  product: string;
}

/** When the series' epochs start (its offset within 6 hours). */
function offset(series: SeriesKey): number {
  return Math.floor(unit(`offset/${series.type}/${series.zone}`) * (EPOCH_MS / 1000)) * 1000;
}

/** The start of the epoch containing `time`. */
export function epochStart(series: SeriesKey, time: number): number {
  const o = offset(series);
  return Math.floor((time - o) / EPOCH_MS) * EPOCH_MS + o;
}

/** When a series' price next changes after `time`. */
export function nextPriceChange(series: SeriesKey, time: number): number {
  return epochStart(series, time) + EPOCH_MS;
}

/** The spot price of an epoch (identified by its start time). */
export function priceAtEpoch(series: SeriesKey, region: string, start: number): number {
  const od = onDemandPrice(series.type, region, series.product) ?? 0;
  const base = 0.25 + 0.15 * unit(`base/${series.type}/${series.zone}/${baseProduct(series.product)}`);
  const roll = unit(`epoch/${series.type}/${series.zone}/${baseProduct(series.product)}/${start}`);
  let ratio: number;
  if (roll < 0.02) ratio = 0.8 + 10 * roll;
  else ratio = base * (1 + 0.3 * (unit(`move/${series.type}/${series.zone}/${start}`) - 0.5));
  return Math.max(0.0001, round4(Math.min(od, od * ratio)));
}

/** The spot price in effect at `time`, and since when. */
export function spotPriceAt(series: SeriesKey, region: string, time: number): { price: number; since: number } {
  const since = epochStart(series, time);
  return { price: priceAtEpoch(series, region, since), since };
}

/** Spot prices are shown with six decimals ("0.003500"). */
export function formatPrice(price: number): string {
  return price.toFixed(6);
}
