/**
 * DLM's rules for a lifecycle policy, checked on create and update (the
 * model's own constraints — lengths, patterns, enums — are checked before).
 */
import type { CreateRule, PolicyDetails, RetainRule, Schedule } from "../../generated/dlm.js";
import { CronError, nextCronTime, parseCron } from "./cron.js";
import { DlmErrors } from "./errors.js";

/** The intervals, in hours, a CreateRule may use. */
export const CREATE_INTERVALS = [1, 2, 3, 4, 6, 8, 12, 24];
const VARIABLES = ["$(instance-id)", "$(timestamp)"];

export function validatePolicyDetails(details: PolicyDetails | undefined): PolicyDetails {
  if (!details) throw DlmErrors.required("PolicyDetails");
  const type = details.PolicyType ?? "EBS_SNAPSHOT_MANAGEMENT";
  if (type === "EVENT_BASED_POLICY") {
    if (!details.EventSource) throw DlmErrors.required("EventSource");
    if (!details.Actions?.length) throw DlmErrors.required("Actions");
    return { ...details, PolicyType: type };
  }
  const resourceTypes = details.ResourceTypes ?? (details.ResourceType ? [details.ResourceType] : undefined);
  if (!resourceTypes?.length) throw DlmErrors.required("ResourceTypes");
  if (type === "IMAGE_MANAGEMENT" && resourceTypes[0] !== "INSTANCE") {
    throw DlmErrors.invalid("IMAGE_MANAGEMENT policies can only target INSTANCE resources.");
  }
  if (!details.TargetTags?.length) throw DlmErrors.required("TargetTags");
  for (const tag of details.TargetTags) {
    if (!tag.Key) throw DlmErrors.invalid("A target tag must have a key.");
  }
  if (!details.Schedules?.length) throw DlmErrors.required("Schedules");
  const names = new Set<string>();
  for (const schedule of details.Schedules) {
    validateSchedule(schedule, resourceTypes[0]);
    if (schedule.Name) {
      if (names.has(schedule.Name)) throw DlmErrors.invalid(`Schedule names must be unique within a policy: ${schedule.Name} is used twice.`);
      names.add(schedule.Name);
    }
  }
  if (details.Parameters?.ExcludeBootVolume !== undefined && resourceTypes[0] !== "INSTANCE") {
    throw DlmErrors.invalid("ExcludeBootVolume can only be specified for policies that target INSTANCE resources.");
  }
  return { ...details, PolicyType: type, ResourceTypes: resourceTypes };
}

function validateSchedule(schedule: Schedule, resourceType: string): void {
  if (!schedule.CreateRule) throw DlmErrors.required("CreateRule");
  validateCreateRule(schedule.CreateRule);
  if (!schedule.RetainRule) throw DlmErrors.required("RetainRule");
  validateRetainRule(schedule.RetainRule, "RetainRule");
  for (const tag of [...(schedule.TagsToAdd ?? []), ...(schedule.VariableTags ?? [])]) {
    if (tag.Key.toLowerCase().startsWith("aws:")) throw DlmErrors.invalid(`Tag keys starting with 'aws:' are reserved: ${tag.Key}`);
  }
  if (schedule.VariableTags?.length) {
    if (resourceType !== "INSTANCE") throw DlmErrors.invalid("VariableTags can only be specified for policies that target INSTANCE resources.");
    for (const tag of schedule.VariableTags) {
      if (!VARIABLES.includes(tag.Value)) throw DlmErrors.invalid(`VariableTags values must be one of ${VARIABLES.join(", ")}; got ${tag.Value}.`);
    }
  }
  if (schedule.ArchiveRule) validateArchiveRule(schedule, resourceType);
  for (const rule of schedule.CrossRegionCopyRules ?? []) {
    if (!rule.TargetRegion && !rule.Target) throw DlmErrors.required("TargetRegion");
    if (rule.TargetRegion && rule.Target) throw DlmErrors.exclusive("TargetRegion", "Target");
    if (rule.RetainRule) validateRetainRule({ Interval: rule.RetainRule.Interval, IntervalUnit: rule.RetainRule.IntervalUnit }, "CrossRegionCopyRule.RetainRule");
  }
}

function validateCreateRule(rule: CreateRule): void {
  if (rule.CronExpression !== undefined) {
    if (rule.Interval !== undefined || rule.IntervalUnit !== undefined || rule.Times?.length) {
      throw DlmErrors.exclusive("CronExpression", "Interval");
    }
    let schedule;
    try {
      schedule = parseCron(rule.CronExpression);
    } catch (error) {
      throw DlmErrors.invalid(`Invalid cron expression ${rule.CronExpression}: ${(error as CronError).message}`);
    }
    // DLM runs a schedule at most once an hour.
    let t = Date.UTC(2024, 0, 1);
    let previous: number | undefined;
    for (let i = 0; i < 48; i++) {
      const next = nextCronTime(schedule, t);
      if (next === undefined) break;
      if (previous !== undefined && next - previous < 3_600_000) {
        throw DlmErrors.invalid(`The cron expression ${rule.CronExpression} runs more often than once an hour, which is not supported.`);
      }
      previous = next;
      t = next;
    }
    if (previous === undefined) throw DlmErrors.invalid(`The cron expression ${rule.CronExpression} never runs.`);
    return;
  }
  if (rule.Interval === undefined) throw DlmErrors.required("Interval");
  if (rule.IntervalUnit === undefined) throw DlmErrors.required("IntervalUnit");
  if (!CREATE_INTERVALS.includes(rule.Interval)) {
    throw DlmErrors.invalid(`Interval must be one of ${CREATE_INTERVALS.join(", ")} hours; got ${rule.Interval}.`);
  }
  if ((rule.Times?.length ?? 0) > 1) throw DlmErrors.invalid("Only one start time can be specified in Times.");
}

const DAY = 86_400_000;
const UNIT_DAYS: Record<string, number> = { DAYS: 1, WEEKS: 7, MONTHS: 30, YEARS: 365 };

/**
 * An archive rule: snapshots the standard-tier retention lets go are archived,
 * then kept in the archive tier by count (count-based schedules) or age
 * (age-based ones), at least 90 days — AWS's rules for DLM archiving.
 */
function validateArchiveRule(schedule: Schedule, resourceType: string): void {
  if (resourceType !== "VOLUME") throw DlmErrors.invalid("Snapshot archiving is supported only for policies that target VOLUME resources.");
  const tier = schedule.ArchiveRule?.RetainRule?.RetentionArchiveTier;
  if (!tier) throw DlmErrors.required("ArchiveRule.RetainRule.RetentionArchiveTier");
  const byCount = schedule.RetainRule?.Count !== undefined;
  if (byCount) {
    if (tier.Count === undefined || tier.Interval !== undefined) throw DlmErrors.invalid("A count-based schedule's archive retention must specify Count.");
    // Every archived snapshot must stay at least 90 days: Count runs of the schedule.
    const rule = schedule.CreateRule!;
    const period = rule.CronExpression ? cronPeriod(rule.CronExpression) : (rule.Interval ?? 24) * 3_600_000;
    if (tier.Count * period < 90 * DAY) {
      throw DlmErrors.invalid(`The archive retention count ${tier.Count} keeps snapshots archived for less than 90 days at this schedule's frequency.`);
    }
    return;
  }
  if (tier.Interval === undefined || tier.IntervalUnit === undefined || tier.Count !== undefined) {
    throw DlmErrors.invalid("An age-based schedule's archive retention must specify Interval and IntervalUnit.");
  }
  if (tier.Interval * (UNIT_DAYS[tier.IntervalUnit] ?? 1) < 90) throw DlmErrors.invalid("Snapshots must be retained in the archive tier for at least 90 days.");
}

/** The average time between runs of a cron schedule over a year (a monthly one: about 30 days, as AWS counts it). */
function cronPeriod(expression: string): number {
  const schedule = parseCron(expression);
  const runs: number[] = [];
  for (let t = Date.UTC(2024, 0, 1); runs.length < 400; ) {
    const next = nextCronTime(schedule, t);
    if (next === undefined || next > Date.UTC(2025, 0, 1)) break;
    runs.push(next);
    t = next;
  }
  return runs.length > 1 ? (runs[runs.length - 1] - runs[0]) / (runs.length - 1) : Infinity;
}

function validateRetainRule(rule: RetainRule, name: string): void {
  const byCount = rule.Count !== undefined;
  const byAge = rule.Interval !== undefined || rule.IntervalUnit !== undefined;
  if (byCount && byAge) throw DlmErrors.exclusive(`${name}.Count`, `${name}.Interval`);
  if (!byCount && !byAge) throw DlmErrors.required(`${name}.Count`);
  if (byAge) {
    if (rule.Interval === undefined) throw DlmErrors.required(`${name}.Interval`);
    if (rule.IntervalUnit === undefined) throw DlmErrors.required(`${name}.IntervalUnit`);
  }
}
