/**
 * DLM's scheduler: each schedule of each ENABLED policy is a persisted job at
 * its next run time. A run snapshots every target whose tags match (copying
 * tags when asked, adding the policy's tags and DLM's own), then applies the
 * retention rule; snapshots retained by age are deleted by their own jobs.
 * DISABLED policies have no jobs; a run whose execution role is gone puts the
 * policy in the ERROR state until the role is back.
 */
import { serviceMayAssume } from "../iam/trust.js";
import type { Cloud } from "../../cloud.js";
import type { Schedule, Tag } from "../../generated/dlm.js";
import type { Scope } from "../../state/documents.js";
import type { EbsProvider } from "../ebs/provider.js";
import type { DlmMark, EbsVolume } from "../ebs/records.js";
import type { InstanceRecord } from "../ec2/state.js";
import { IamStore } from "../iam/store.js";
import { nextCronTime, parseCron } from "./cron.js";
import { policies, policyScopes, type PolicyRecord } from "./policies.js";

const JOB_RUN = "dlm:run";
const JOB_EXPIRE = "dlm:expire";
const JOB_COPY = "dlm:copy";
/** How often a cross-Region copy job looks again at a snapshot that is still pending. */
const COPY_RETRY_MS = 10_000;

interface RunJob {
  policyId: string;
  /** Index of the schedule in PolicyDetails.Schedules (-1: a default policy). */
  schedule: number;
}

interface ExpireJob {
  policyId: string;
  snapshotId: string;
  /** The policy's region when the snapshot is a cross-Region copy (the job runs in the copy's region). */
  policyRegion?: string;
}

interface CopyJob {
  policyId: string;
  schedule: number;
  rule: number;
  snapshotId: string;
  target: string;
}

interface EffectiveSchedule {
  name: string;
  resourceType: "VOLUME" | "INSTANCE";
  copyTags: boolean;
  tagsToAdd: Tag[];
  variableTags: Tag[];
  retain: { count?: number; interval?: number; unit?: string };
  /** ArchiveRule: what the standard tier lets go is archived and kept so (count or age) before it is deleted. */
  archive?: { count?: number; interval?: number; unit?: string };
  index: number;
  copyRules: NonNullable<Schedule["CrossRegionCopyRules"]>;
}

export class DlmRunner {
  private readonly iam: IamStore;

  constructor(private readonly cloud: Cloud) {
    this.iam = new IamStore(cloud);
  }

  private get ebs(): EbsProvider {
    return this.cloud.provider<EbsProvider>("ebs");
  }

  onStart(): void {
    this.cloud.scheduler.on<RunJob>(JOB_RUN, (job) => this.run({ account: job.account, region: job.region }, job.payload));
    this.cloud.scheduler.on<ExpireJob>(JOB_EXPIRE, (job) => this.expire({ account: job.account, region: job.region }, job.payload));
    this.cloud.scheduler.on<CopyJob>(JOB_COPY, (job) => this.copy({ account: job.account, region: job.region }, job.payload));
    // Policies created before a restart already have their jobs; make sure none is missing.
    for (const scope of policyScopes(this.cloud)) for (const policy of policies(this.cloud, scope).values()) this.arm(scope, policy, false);
  }

  /** (Re)schedules a policy's runs: after create, update, enable; `replace` drops existing jobs first. */
  arm(scope: Scope, policy: PolicyRecord, replace = true): void {
    const scheduler = this.cloud.scheduler;
    if (replace) this.disarm(policy.PolicyId);
    if (policy.State === "DISABLED") return;
    const now = this.cloud.clock.now();
    const count = policy._default ? 1 : (policy.PolicyDetails?.Schedules?.length ?? 0);
    for (let index = policy._default ? -1 : 0; index < count; index++) {
      const key = `${JOB_RUN}:${policy.PolicyId}:${index}`;
      if (!replace && scheduler.get(key)) continue;
      const due = this.nextRun(policy, index, now);
      if (due !== undefined) scheduler.schedule<RunJob>({ kind: JOB_RUN, key, due, payload: { policyId: policy.PolicyId, schedule: index }, ...scope });
    }
    if (replace) this.sweepExpired(scope, policy);
  }

  disarm(policyId: string): void {
    this.cloud.scheduler.cancelPrefix(`${JOB_RUN}:${policyId}:`);
  }

  /** The first run time strictly after `after`. */
  nextRun(policy: PolicyRecord, index: number, after: number): number | undefined {
    if (index === -1) {
      const days = policy._default!.createIntervalDays;
      return nextInterval(policy._defaultStart, days * 24, after);
    }
    const rule = policy.PolicyDetails?.Schedules?.[index]?.CreateRule;
    if (!rule) return undefined;
    if (rule.CronExpression) return nextCronTime(parseCron(rule.CronExpression), after);
    return nextInterval(rule.Times?.[0] ?? policy._defaultStart, rule.Interval ?? 24, after);
  }

  private async run(scope: Scope, job: RunJob): Promise<void> {
    const collection = policies(this.cloud, scope);
    const policy = collection.get(job.policyId);
    if (!policy || policy.State === "DISABLED") return;
    const now = this.cloud.clock.now();
    const next = this.nextRun(policy, job.schedule, now);
    if (next !== undefined) {
      this.cloud.scheduler.schedule<RunJob>({ kind: JOB_RUN, key: `${JOB_RUN}:${policy.PolicyId}:${job.schedule}`, due: next, payload: job, ...scope });
    }
    // DLM acts as its execution role: the role must exist and trust dlm.amazonaws.com.
    const role = this.iam.findRole(scope.account, policy.ExecutionRoleArn ?? "");
    if (!role || !serviceMayAssume(this.cloud, role, "dlm.amazonaws.com", scope)) {
      collection.update(policy.PolicyId, (p) => {
        p.State = "ERROR";
        p.StatusMessage = `The execution role ${p.ExecutionRoleArn} does not exist or cannot be assumed.`;
      });
      return;
    }
    if (policy.State === "ERROR") collection.update(policy.PolicyId, (p) => void ((p.State = "ENABLED"), (p.StatusMessage = "ENABLED")));
    const type = policy.PolicyDetails?.PolicyType ?? "EBS_SNAPSHOT_MANAGEMENT";
    if (!policy._default && type !== "EBS_SNAPSHOT_MANAGEMENT") return;
    const schedule = this.effectiveSchedule(policy, job.schedule);
    if (!schedule) return;
    if (schedule.resourceType === "VOLUME") await this.snapshotVolumes(scope, policy, schedule, now);
    else await this.snapshotInstances(scope, policy, schedule, now);
  }

  private effectiveSchedule(policy: PolicyRecord, index: number): EffectiveSchedule | undefined {
    if (index === -1) {
      const d = policy._default!;
      return {
        name: "Default Schedule",
        resourceType: d.type,
        copyTags: d.copyTags,
        tagsToAdd: [],
        variableTags: [],
        retain: { interval: d.retainIntervalDays, unit: "DAYS" },
        index,
        copyRules: (policy.PolicyDetails?.CrossRegionCopyTargets ?? []).map((t) => ({ TargetRegion: t.TargetRegion, Encrypted: false, CopyTags: d.copyTags })),
      };
    }
    const schedule: Schedule | undefined = policy.PolicyDetails?.Schedules?.[index];
    if (!schedule) return undefined;
    return {
      name: schedule.Name ?? `Schedule ${index + 1}`,
      resourceType: (policy.PolicyDetails?.ResourceTypes?.[0] ?? "VOLUME") as "VOLUME" | "INSTANCE",
      copyTags: schedule.CopyTags === true,
      tagsToAdd: schedule.TagsToAdd ?? [],
      variableTags: schedule.VariableTags ?? [],
      retain: { count: schedule.RetainRule?.Count, interval: schedule.RetainRule?.Interval, unit: schedule.RetainRule?.IntervalUnit },
      archive: schedule.ArchiveRule?.RetainRule?.RetentionArchiveTier && {
        count: schedule.ArchiveRule.RetainRule.RetentionArchiveTier.Count,
        interval: schedule.ArchiveRule.RetainRule.RetentionArchiveTier.Interval,
        unit: schedule.ArchiveRule.RetainRule.RetentionArchiveTier.IntervalUnit,
      },
      index,
      copyRules: schedule.CrossRegionCopyRules ?? [],
    };
  }

  private matchesTargets(policy: PolicyRecord, tags: readonly { Key?: string; Value?: string }[] | undefined): boolean {
    if (policy._default) {
      const excluded = policy._default.exclusions?.ExcludeTags ?? [];
      return !excluded.some((e) => tags?.some((t) => t.Key === e.Key && t.Value === e.Value));
    }
    const targets = policy.PolicyDetails?.TargetTags ?? [];
    return targets.some((target) => tags?.some((t) => t.Key === target.Key && (t.Value ?? "") === target.Value));
  }

  private snapshotTags(policy: PolicyRecord, schedule: EffectiveSchedule, source: readonly { Key?: string; Value?: string }[] | undefined, vars: Record<string, string>): Tag[] {
    const out = new Map<string, string>();
    if (schedule.copyTags) for (const t of source ?? []) if (t.Key && !t.Key.startsWith("aws:")) out.set(t.Key, t.Value ?? "");
    const resolve = (value: string) => value.replace(/\$\((instance-id|timestamp)\)/g, (_m, name: string) => vars[name] ?? "");
    for (const t of schedule.tagsToAdd) out.set(t.Key, resolve(t.Value));
    for (const t of schedule.variableTags) out.set(t.Key, resolve(t.Value));
    out.set("aws:dlm:lifecycle-policy-id", policy.PolicyId);
    out.set("aws:dlm:lifecycle-schedule-name", schedule.name);
    return [...out].map(([Key, Value]) => ({ Key, Value }));
  }

  private async snapshotVolumes(scope: Scope, policy: PolicyRecord, schedule: EffectiveSchedule, now: number): Promise<void> {
    const ebs = this.ebs;
    const targets = ebs.ec2
      .volumes(scope)
      .values()
      .filter((v) => (v.State === "available" || v.State === "in-use") && this.matchesTargets(policy, v.Tags) && !this.excludedVolume(policy, v))
      .filter((v) => !policy._default || !this.recentlyBackedUp(scope, v.VolumeId!, now - policy._default.createIntervalDays * 86_400_000));
    for (const volume of targets) {
      const tags = this.snapshotTags(policy, schedule, volume.Tags, { timestamp: new Date(now).toISOString() });
      const snapshot = ebs.snapshots.fromVolume(scope, {
        volumeId: volume.VolumeId!,
        description: `Created for policy: ${policy.PolicyId} schedule: ${schedule.name}`,
        tags,
      });
      this.mark(scope, policy, schedule, snapshot.SnapshotId!, volume.VolumeId!, now);
      await this.retain(scope, policy, schedule, volume.VolumeId!);
    }
  }

  /** Default policies back up only volumes with no snapshot (by any means) since `since`. */
  private recentlyBackedUp(scope: Scope, volumeId: string, since: number): boolean {
    return this.ebs.ec2
      .snapshots(scope)
      .values()
      .some((s) => s.VolumeId === volumeId && s.State !== "error" && new Date(s.StartTime!).getTime() > since);
  }

  private excludedVolume(policy: PolicyRecord, volume: EbsVolume): boolean {
    const types = policy._default?.exclusions?.ExcludeVolumeTypes;
    return !!types && types.includes(volume.VolumeType ?? "");
  }

  private async snapshotInstances(scope: Scope, policy: PolicyRecord, schedule: EffectiveSchedule, now: number): Promise<void> {
    const ebs = this.ebs;
    const parameters = policy.PolicyDetails?.Parameters;
    const excludeBoot = parameters?.ExcludeBootVolume ?? policy._default?.exclusions?.ExcludeBootVolumes ?? false;
    const instances = ebs.ec2
      .instances(scope)
      .filter((i: InstanceRecord) => (i.State?.Name === "running" || i.State?.Name === "stopped") && this.matchesTargets(policy, i.Tags));
    for (const instance of instances) {
      const excluded = ebs.volumes
        .attachedTo(scope, instance.InstanceId!)
        .filter((v) => (parameters?.ExcludeDataVolumeTags ?? []).some((e) => v.Tags?.some((t) => t.Key === e.Key && t.Value === e.Value)))
        .map((v) => v.VolumeId!);
      const tags = this.snapshotTags(policy, schedule, instance.Tags, { "instance-id": instance.InstanceId!, timestamp: new Date(now).toISOString() });
      const created = ebs.snapshots.forInstance(scope, {
        instanceId: instance.InstanceId!,
        excludeBootVolume: excludeBoot,
        excludeVolumeIds: excluded,
        description: `Created for policy: ${policy.PolicyId} schedule: ${schedule.name}`,
        tags,
      });
      for (const { snapshot } of created) this.mark(scope, policy, schedule, snapshot.SnapshotId!, instance.InstanceId!, now);
      await this.retain(scope, policy, schedule, instance.InstanceId!);
    }
  }

  private mark(scope: Scope, policy: PolicyRecord, schedule: EffectiveSchedule, snapshotId: string, target: string, now: number, policyRegion?: string): void {
    const mark: DlmMark = { policyId: policy.PolicyId, schedule: schedule.name, target, at: now };
    this.ebs.ec2.snapshots(scope).update(snapshotId, (s) => void (s._dlm = mark));
    const { interval, unit } = schedule.retain;
    if (interval !== undefined && unit) {
      this.cloud.scheduler.schedule<ExpireJob>({
        kind: JOB_EXPIRE,
        key: `${JOB_EXPIRE}:${snapshotId}`,
        due: addInterval(now, interval, unit),
        payload: { policyId: policy.PolicyId, snapshotId, policyRegion },
        ...scope,
      });
    }
    if (policyRegion) return;
    // Cross-Region copies start once the snapshot has completed.
    schedule.copyRules.forEach((_rule, rule) => {
      this.cloud.scheduler.schedule<CopyJob>({
        kind: JOB_COPY,
        key: `${JOB_COPY}:${snapshotId}:${rule}`,
        due: now + COPY_RETRY_MS,
        payload: { policyId: policy.PolicyId, schedule: schedule.index, rule, snapshotId, target },
        ...scope,
      });
    });
  }

  /** A cross-Region copy rule: copies the completed snapshot, tags it and applies the rule's retention there. */
  private async copy(scope: Scope, job: CopyJob): Promise<void> {
    const policy = policies(this.cloud, scope).get(job.policyId);
    if (!policy || policy.State === "DISABLED") return;
    const source = this.ebs.ec2.snapshots(scope).get(job.snapshotId);
    if (!source || source.State === "error") return;
    const now = this.cloud.clock.now();
    if (source.State !== "completed") {
      this.cloud.scheduler.schedule<CopyJob>({ kind: JOB_COPY, key: `${JOB_COPY}:${job.snapshotId}:${job.rule}`, due: now + COPY_RETRY_MS, payload: job, ...scope });
      return;
    }
    const schedule = this.effectiveSchedule(policy, job.schedule);
    const rule = schedule?.copyRules[job.rule];
    const region = rule?.TargetRegion ?? rule?.Target;
    if (!schedule || !rule || !region || !this.ebs.ec2.regions().includes(region)) return;
    const target = { account: scope.account, region };
    const tags = new Map<string, string>();
    if (rule.CopyTags) for (const t of source.Tags ?? []) if (t.Key && !t.Key.startsWith("aws:")) tags.set(t.Key, t.Value ?? "");
    tags.set("aws:dlm:lifecycle-policy-id", policy.PolicyId);
    tags.set("aws:dlm:lifecycle-schedule-name", schedule.name);
    const copy = this.ebs.snapshots.copy(target, {
      sourceRegion: scope.region,
      sourceSnapshotId: job.snapshotId,
      description: `[Copied ${job.snapshotId} from ${scope.region}] ${source.Description ?? ""}`.trim(),
      encrypted: rule.Encrypted,
      kmsKeyId: rule.CmkArn,
      tags: [...tags].map(([Key, Value]) => ({ Key, Value })),
    });
    const retain = rule.RetainRule?.Interval !== undefined ? { interval: rule.RetainRule.Interval, unit: rule.RetainRule.IntervalUnit } : schedule.retain;
    const copySchedule: EffectiveSchedule = { ...schedule, retain, copyRules: [] };
    this.mark(target, policy, copySchedule, copy.SnapshotId!, job.target, now, scope.region);
    await this.retain(target, policy, copySchedule, job.target);
  }

  /** Count retention: keep the newest `count` runs of this schedule for this target. */
  private async retain(scope: Scope, policy: PolicyRecord, schedule: EffectiveSchedule, target: string): Promise<void> {
    const count = schedule.retain.count;
    if (count === undefined) return;
    const ours = this.managed(scope, policy.PolicyId).filter((s) => s._dlm!.schedule === schedule.name && s._dlm!.target === target);
    const mine = ours.filter((s) => s._dlm!.archived === undefined);
    const runs = [...new Set(mine.map((s) => s._dlm!.at))].sort((a, b) => b - a);
    const keep = new Set(runs.slice(0, count));
    for (const snapshot of mine) if (!keep.has(snapshot._dlm!.at)) await this.letGo(scope, policy, schedule, snapshot.SnapshotId!);
    // The archive tier keeps its own count.
    const archiveCount = schedule.archive?.count;
    if (archiveCount === undefined) return;
    const archived = this.managed(scope, policy.PolicyId).filter((s) => s._dlm!.schedule === schedule.name && s._dlm!.target === target && s._dlm!.archived !== undefined);
    const archivedRuns = [...new Set(archived.map((s) => s._dlm!.at))].sort((a, b) => b - a);
    const keepArchived = new Set(archivedRuns.slice(0, archiveCount));
    for (const snapshot of archived) if (!keepArchived.has(snapshot._dlm!.at)) await this.deleteQuietly(scope, snapshot.SnapshotId!);
  }

  /**
   * A snapshot the standard tier's retention lets go: deleted, or with an
   * archive rule archived (and, for age-based retention, deleted when its
   * archive period ends).
   */
  private async letGo(scope: Scope, policy: PolicyRecord, schedule: EffectiveSchedule | undefined, snapshotId: string): Promise<void> {
    const snapshot = this.ebs.ec2.snapshots(scope).get(snapshotId);
    if (!schedule?.archive || !snapshot || snapshot._dlm?.archived !== undefined || snapshot.State !== "completed") return this.deleteQuietly(scope, snapshotId);
    const now = this.cloud.clock.now();
    try {
      this.ebs.tiers.archive(scope, snapshot, this.ebs.ec2.imagesUsingSnapshot(scope, snapshotId));
    } catch {
      // One that cannot be archived (an image uses it) is deleted, as the retention rule says.
      return this.deleteQuietly(scope, snapshotId);
    }
    this.ebs.ec2.snapshots(scope).update(snapshotId, (s) => void (s._dlm = { ...s._dlm!, archived: now }));
    const { interval, unit } = schedule.archive;
    if (interval !== undefined && unit) {
      this.cloud.scheduler.schedule<ExpireJob>({
        kind: JOB_EXPIRE,
        key: `${JOB_EXPIRE}:${snapshotId}`,
        due: addInterval(now, interval, unit),
        payload: { policyId: policy.PolicyId, snapshotId },
        ...scope,
      });
    }
  }

  private managed(scope: Scope, policyId: string) {
    return this.ebs.ec2.snapshots(scope).values().filter((s) => s._dlm?.policyId === policyId);
  }

  private async expire(scope: Scope, job: ExpireJob): Promise<void> {
    const policy = policies(this.cloud, { account: scope.account, region: job.policyRegion ?? scope.region }).get(job.policyId);
    // A deleted policy's snapshots are kept; a disabled one deletes nothing until re-enabled.
    if (!policy || policy.State === "DISABLED") return;
    const snapshot = this.ebs.ec2.snapshots(scope).get(job.snapshotId);
    // Age retention ends: archived under an archive rule (once), else deleted.
    const schedule = snapshot?._dlm && !job.policyRegion ? this.findSchedule(policy, snapshot._dlm.schedule) : undefined;
    await this.letGo(scope, policy, schedule, job.snapshotId);
  }

  /** On (re)enable: age-retained snapshots whose time passed while the policy was disabled. */
  private sweepExpired(scope: Scope, policy: PolicyRecord): void {
    const now = this.cloud.clock.now();
    for (const snapshot of this.managed(scope, policy.PolicyId)) {
      const job = this.cloud.scheduler.get(`${JOB_EXPIRE}:${snapshot.SnapshotId}`);
      if (job && job.due <= now) continue;
      const schedule = this.findSchedule(policy, snapshot._dlm!.schedule);
      // An archived snapshot's time runs from its archival, by the archive tier's retention.
      const archived = snapshot._dlm!.archived;
      const retain = archived !== undefined ? schedule?.archive : schedule?.retain;
      if (!retain?.interval || !retain.unit) continue;
      const due = addInterval(archived ?? snapshot._dlm!.at, retain.interval, retain.unit);
      this.cloud.scheduler.schedule<ExpireJob>({
        kind: JOB_EXPIRE,
        key: `${JOB_EXPIRE}:${snapshot.SnapshotId}`,
        due: Math.max(due, now),
        payload: { policyId: policy.PolicyId, snapshotId: snapshot.SnapshotId! },
        ...scope,
      });
    }
  }

  private findSchedule(policy: PolicyRecord, name: string): EffectiveSchedule | undefined {
    if (policy._default) return this.effectiveSchedule(policy, -1);
    const index = policy.PolicyDetails?.Schedules?.findIndex((s) => s.Name === name) ?? -1;
    return index >= 0 ? this.effectiveSchedule(policy, index) : undefined;
  }

  private async deleteQuietly(scope: Scope, snapshotId: string): Promise<void> {
    if (!this.ebs.ec2.snapshots(scope).get(snapshotId)) return;
    try {
      await this.ebs.snapshots.delete(scope, snapshotId);
    } catch (error) {
      // In use by an image: DLM leaves it and tries again at the next run.
      this.cloud.log.error(`dlm: could not delete ${snapshotId}`, error);
    }
  }
}

/** The first time after `after` on the grid that starts at `start` ("hh:mm" UTC) each day and repeats every `hours`. */
export function nextInterval(start: string, hours: number, after: number): number {
  const [h, m] = start.split(":").map(Number);
  const period = hours * 3_600_000;
  const day = Math.floor(after / 86_400_000) * 86_400_000;
  const base = day + (h * 60 + m) * 60_000;
  const k = Math.floor((after - base) / period) + 1;
  return base + k * period;
}

export function addInterval(from: number, interval: number, unit: string): number {
  const date = new Date(from);
  switch (unit) {
    case "DAYS":
      return from + interval * 86_400_000;
    case "WEEKS":
      return from + interval * 7 * 86_400_000;
    case "MONTHS":
      date.setUTCMonth(date.getUTCMonth() + interval);
      return date.getTime();
    case "YEARS":
      date.setUTCFullYear(date.getUTCFullYear() + interval);
      return date.getTime();
    default:
      return from + interval * 86_400_000;
  }
}
