/**
 * The data behind the web console (/_stratus/console): an account's resources
 * in a region and metric series for charts. It asks the providers through
 * their own API operations (DescribeInstances, ListBuckets, DescribeAlarms,
 * GetMetricStatistics...), in-process, so the console shows exactly what the
 * AWS API answers.
 */
import type { Cloud } from "../cloud.js";
import { REGIONS } from "../services/ec2/regions/regions.js";
import type { CallContext } from "../services/types.js";
import type { HttpRequest } from "../protocol/http.js";

type Operation = (input: unknown, ctx: CallContext) => unknown;

function context(cloud: Cloud, request: HttpRequest, account: string, region: string, service: string, operation: string): CallContext {
  return {
    requestId: "console",
    account,
    region,
    accessKeyId: "",
    anonymous: false,
    principalArn: `arn:aws:iam::${account}:root`,
    service,
    operation,
    request,
    host: request.headers.host ?? "localhost",
    sourceIp: "127.0.0.1",
    secure: false,
    cloud,
    responseHeaders: {},
  };
}

async function call<T>(cloud: Cloud, request: HttpRequest, account: string, region: string, service: string, operation: string, input: unknown): Promise<T | undefined> {
  const provider = cloud.provider(service) as unknown as Record<string, Operation | undefined>;
  const method = provider[operation];
  if (typeof method !== "function") return undefined;
  try {
    return (await method.call(provider, input, context(cloud, request, account, region, service, operation))) as T;
  } catch (error) {
    cloud.log.error(`console: ${service}:${operation} failed`, error);
    return undefined;
  }
}

const nameTag = (tags: Array<{ Key?: string; Value?: string }> | undefined) => tags?.find((t) => t.Key === "Name")?.Value ?? "";

/** Regions where the account has EC2 or EBS resources, plus the one asked for. */
export function activeRegions(cloud: Cloud, account: string): string[] {
  const regions = new Set<string>();
  for (const kind of ["instances", "volumes", "snapshots", "security-groups", "key-pairs"]) {
    for (const scope of cloud.documents.collection("ec2", kind).scopes()) if (scope.account === account) regions.add(scope.region);
  }
  return REGIONS.map((r) => r.name).filter((name) => regions.has(name));
}

export async function inventory(cloud: Cloud, request: HttpRequest, account: string, region: string): Promise<Record<string, unknown>> {
  const ec2 = <T>(operation: string, input: unknown = {}) => call<T>(cloud, request, account, region, "ec2", operation, input);
  const now = cloud.clock.now();
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const monthStart = new Date(now).toISOString().slice(0, 8) + "01";
  const [instances, volumes, snapshots, spot, buckets, alarms, dashboards, policies, costs] = await Promise.all([
    ec2<{ Reservations?: Array<{ Instances?: any[] }> }>("DescribeInstances"),
    ec2<{ Volumes?: any[] }>("DescribeVolumes"),
    ec2<{ Snapshots?: any[] }>("DescribeSnapshots", { OwnerIds: ["self"] }),
    ec2<{ SpotInstanceRequests?: any[] }>("DescribeSpotInstanceRequests"),
    call<{ Buckets?: any[] }>(cloud, request, account, region, "s3", "ListBuckets", {}),
    call<{ MetricAlarms?: any[] }>(cloud, request, account, region, "cloudwatch", "DescribeAlarms", {}),
    call<{ DashboardEntries?: any[] }>(cloud, request, account, region, "cloudwatch", "ListDashboards", {}),
    call<{ Policies?: any[] }>(cloud, request, account, region, "dlm", "GetLifecyclePolicies", {}),
    // The month so far (through today), every region, by service.
    call<{ ResultsByTime?: Array<{ Groups?: any[] }> }>(cloud, request, account, "us-east-1", "ce", "GetCostAndUsage", {
      TimePeriod: { Start: monthStart, End: day(now - (now % 86_400_000) + 86_400_000) },
      Granularity: "MONTHLY",
      Metrics: ["UnblendedCost"],
      GroupBy: [{ Type: "DIMENSION", Key: "SERVICE" }],
    }),
  ]);
  return {
    account,
    region,
    regions: activeRegions(cloud, account),
    clock: { mode: cloud.clock.mode, now: cloud.clock.date().toISOString() },
    instances: (instances?.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => ({
      id: i.InstanceId,
      name: nameTag(i.Tags),
      type: i.InstanceType,
      state: i.State?.Name,
      lifecycle: i.InstanceLifecycle ?? "on-demand",
      zone: i.Placement?.AvailabilityZone,
      publicIp: i.PublicIpAddress ?? "",
      privateIp: i.PrivateIpAddress ?? "",
      launched: i.LaunchTime,
    })),
    volumes: (volumes?.Volumes ?? []).map((v) => ({
      id: v.VolumeId,
      name: nameTag(v.Tags),
      type: v.VolumeType,
      sizeGiB: v.Size,
      state: v.State,
      zone: v.AvailabilityZone,
      attachedTo: v.Attachments?.[0]?.InstanceId ?? "",
    })),
    snapshots: (snapshots?.Snapshots ?? []).map((s) => ({ id: s.SnapshotId, volume: s.VolumeId, state: s.State, progress: s.Progress, started: s.StartTime, description: s.Description ?? "" })),
    spotRequests: (spot?.SpotInstanceRequests ?? []).map((r) => ({ id: r.SpotInstanceRequestId, state: r.State, status: r.Status?.Code, maxPrice: r.SpotPrice, instance: r.InstanceId ?? "" })),
    buckets: (buckets?.Buckets ?? []).map((b) => ({ name: b.Name, region: b.BucketRegion ?? "", created: b.CreationDate })),
    alarms: (alarms?.MetricAlarms ?? []).map((a) => ({ name: a.AlarmName, state: a.StateValue, metric: `${a.Namespace} ${a.MetricName}`, reason: a.StateReason ?? "" })),
    dashboards: (dashboards?.DashboardEntries ?? []).map((d) => ({ name: d.DashboardName, modified: d.LastModified })),
    dlmPolicies: (policies?.Policies ?? []).map((p) => ({ id: p.PolicyId, state: p.State, description: p.Description ?? "" })),
    costs: (costs?.ResultsByTime?.[0]?.Groups ?? []).map((g) => ({ service: g.Keys[0], usd: Number(g.Metrics.UnblendedCost.Amount).toFixed(4) })),
  };
}

/** One metric's datapoints over the last hours, for a chart. */
export async function metricSeries(
  cloud: Cloud,
  request: HttpRequest,
  account: string,
  region: string,
  query: { namespace: string; metric: string; dimensions: Array<{ Name: string; Value: string }>; hours: number; period: number; statistic: string },
): Promise<Array<{ t: string; v: number }>> {
  const end = cloud.clock.now();
  const result = await call<{ Datapoints?: Array<Record<string, any>> }>(cloud, request, account, region, "cloudwatch", "GetMetricStatistics", {
    Namespace: query.namespace,
    MetricName: query.metric,
    Dimensions: query.dimensions,
    StartTime: new Date(end - query.hours * 3_600_000),
    EndTime: new Date(end),
    Period: query.period,
    Statistics: [query.statistic],
  });
  return (result?.Datapoints ?? [])
    .map((d) => ({ t: new Date(d.Timestamp).toISOString(), v: Number(d[query.statistic]) }))
    .sort((a, b) => (a.t < b.t ? -1 : 1));
}
