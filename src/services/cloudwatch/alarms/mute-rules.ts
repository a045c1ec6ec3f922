/**
 * Alarm mute rules (PutAlarmMuteRule, GetAlarmMuteRule, ListAlarmMuteRules,
 * DeleteAlarmMuteRule): documents per account and region, with a status
 * computed on the clock. A rule mutes its target alarms during each window of
 * its schedule, clipped to [StartDate, ExpireDate); AWS truncates both dates
 * to the minute.
 */
import type { Cloud } from "../../../cloud.js";
import { arn } from "../../../core/ids.js";
import type {
  AlarmMuteRuleStatus,
  DeleteAlarmMuteRuleInput,
  GetAlarmMuteRuleInput,
  GetAlarmMuteRuleOutput,
  ListAlarmMuteRulesInput,
  ListAlarmMuteRulesOutput,
  PutAlarmMuteRuleInput,
  Tag,
} from "../../../generated/cloudwatch.js";
import type { Scope, ScopedCollection } from "../../../state/documents.js";
import { CwErrors } from "../errors.js";
import { checkTimezone, parseDuration, parseSchedule, type MuteSchedule } from "./mute-schedule.js";

export interface MuteRuleRecord {
  name: string;
  arn: string;
  description?: string;
  expression: string;
  duration: string;
  timezone?: string;
  /** Undefined when the rule was saved without MuteTargets. */
  alarmNames?: string[];
  startDate?: Date;
  expireDate?: Date;
  created: Date;
  updated: Date;
  tags: Tag[];
}

export interface MuteWindow {
  rule: MuteRuleRecord;
  start: number;
  end: number;
}

const DEFAULT_MAX_RECORDS = 50;
const MINUTE = 60_000;

export class MuteRules {
  private readonly schedules = new Map<string, { schedule: MuteSchedule; duration: number }>();
  /** Told after a rule is saved or deleted (muted alarms may be unmuted by it). */
  onChange: (scope: Scope) => Promise<void> = async () => {};

  constructor(
    private readonly cloud: Cloud,
    private readonly alarmExists: (scope: Scope, name: string) => boolean,
  ) {}

  rules(scope: Scope): ScopedCollection<MuteRuleRecord> {
    return this.cloud.documents.collection<MuteRuleRecord>("cloudwatch", "alarmMuteRule").scope(scope);
  }

  arnFor(scope: Scope, name: string): string {
    return arn({ service: "cloudwatch", region: scope.region, account: scope.account, resource: `alarm-mute-rule:${name}` });
  }

  private compiled(rule: Pick<MuteRuleRecord, "expression" | "duration" | "timezone">) {
    const key = `${rule.expression}\u0000${rule.duration}\u0000${rule.timezone ?? "UTC"}`;
    let entry = this.schedules.get(key);
    if (!entry) {
      if (rule.timezone !== undefined) checkTimezone(rule.timezone);
      entry = { schedule: parseSchedule(rule.expression, rule.timezone ?? "UTC"), duration: parseDuration(rule.duration) };
      this.schedules.set(key, entry);
    }
    return entry;
  }

  /** The rule's window containing t (the one ending last), clipped to its dates. */
  windowAt(rule: MuteRuleRecord, t: number): MuteWindow | undefined {
    const from = rule.startDate?.getTime() ?? -Infinity;
    const until = rule.expireDate?.getTime() ?? Infinity;
    if (t < from || t >= until) return undefined;
    const { schedule, duration } = this.compiled(rule);
    const start = schedule.latestAtOrBefore(t, t - duration);
    if (start === undefined) return undefined;
    return { rule, start: Math.max(start, from), end: Math.min(start + duration, until) };
  }

  /** When the rule next starts muting after t, if it ever does. */
  private nextStart(rule: MuteRuleRecord, t: number): number | undefined {
    const from = rule.startDate?.getTime() ?? -Infinity;
    const until = rule.expireDate?.getTime() ?? Infinity;
    if (t < from && this.windowAt(rule, from)) return from;
    const next = this.compiled(rule).schedule.firstAfter(Math.max(t, from - 1));
    return next !== undefined && next < until ? next : undefined;
  }

  status(rule: MuteRuleRecord, now: number): AlarmMuteRuleStatus {
    if (this.windowAt(rule, now)) return "ACTIVE";
    return this.nextStart(rule, now) !== undefined ? "SCHEDULED" : "EXPIRED";
  }

  /** The windows muting an alarm now, the most recently created rule first. */
  activeFor(scope: Scope, alarmName: string, now: number): MuteWindow[] {
    return this.rules(scope)
      .values()
      .filter((r) => r.alarmNames?.includes(alarmName))
      .map((r) => this.windowAt(r, now))
      .filter((w): w is MuteWindow => w !== undefined)
      .sort((a, b) => b.rule.created.getTime() - a.rule.created.getTime());
  }

  async put(scope: Scope, input: PutAlarmMuteRuleInput): Promise<void> {
    const schedule = input.Rule.Schedule;
    this.compiled({ expression: schedule.Expression, duration: schedule.Duration, timezone: schedule.Timezone }); // validates
    const minute = (d: Date | undefined) => (d === undefined ? undefined : new Date(Math.floor(d.getTime() / MINUTE) * MINUTE));
    const startDate = minute(input.StartDate);
    const expireDate = minute(input.ExpireDate);
    if (startDate && expireDate && expireDate.getTime() <= startDate.getTime()) {
      throw CwErrors.validation("The ExpireDate must be after the StartDate.");
    }
    const rules = this.rules(scope);
    const existing = rules.get(input.Name);
    const now = this.cloud.clock.date();
    rules.put(input.Name, {
      name: input.Name,
      arn: this.arnFor(scope, input.Name),
      description: input.Description,
      expression: schedule.Expression,
      duration: schedule.Duration,
      timezone: schedule.Timezone,
      alarmNames: input.MuteTargets ? [...new Set(input.MuteTargets.AlarmNames)] : undefined,
      startDate,
      expireDate,
      created: existing?.created ?? now,
      updated: now,
      // As for alarms, Tags count when the rule is created; TagResource changes them after.
      tags: existing ? existing.tags : input.Tags ?? [],
    });
    await this.onChange(scope);
  }

  get(scope: Scope, input: GetAlarmMuteRuleInput): GetAlarmMuteRuleOutput {
    const rule = this.rules(scope).get(input.AlarmMuteRuleName);
    if (!rule) throw CwErrors.resourceNotFoundException("AlarmMuteRule", input.AlarmMuteRuleName);
    return {
      Name: rule.name,
      AlarmMuteRuleArn: rule.arn,
      Description: rule.description,
      Rule: { Schedule: { Expression: rule.expression, Duration: rule.duration, Timezone: rule.timezone ?? "UTC" } },
      MuteTargets: rule.alarmNames ? { AlarmNames: [...rule.alarmNames] } : undefined,
      StartDate: rule.startDate,
      ExpireDate: rule.expireDate,
      Status: this.status(rule, this.cloud.clock.now()),
      LastUpdatedTimestamp: rule.updated,
      MuteType: this.compiled(rule).schedule.type,
    };
  }

  list(scope: Scope, input: ListAlarmMuteRulesInput): ListAlarmMuteRulesOutput {
    if (input.AlarmName !== undefined && !this.alarmExists(scope, input.AlarmName)) {
      throw CwErrors.resourceNotFoundException("Alarm", input.AlarmName);
    }
    let after = "";
    if (input.NextToken !== undefined) {
      const decoded = Buffer.from(input.NextToken, "base64").toString("utf8");
      if (!decoded.startsWith("amr1:")) throw CwErrors.invalidNextToken();
      after = decoded.slice(5);
    }
    const now = this.cloud.clock.now();
    const statuses = input.Statuses?.length ? new Set(input.Statuses) : undefined;
    const matching = this.rules(scope)
      .values()
      .filter((r) => r.name > after && (input.AlarmName === undefined || r.alarmNames?.includes(input.AlarmName)))
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((rule) => ({ rule, status: this.status(rule, now) }))
      .filter((r) => !statuses || statuses.has(r.status));
    const limit = input.MaxRecords ?? DEFAULT_MAX_RECORDS;
    const page = matching.slice(0, limit);
    const output: ListAlarmMuteRulesOutput = {
      AlarmMuteRuleSummaries: page.map(({ rule, status }) => ({
        AlarmMuteRuleArn: rule.arn,
        ExpireDate: rule.expireDate,
        Status: status,
        MuteType: this.compiled(rule).schedule.type,
        LastUpdatedTimestamp: rule.updated,
      })),
    };
    if (matching.length > limit) output.NextToken = Buffer.from(`amr1:${page[page.length - 1].rule.name}`).toString("base64");
    return output;
  }

  /** Deleting a rule that does not exist succeeds, as AWS documents. */
  async delete(scope: Scope, input: DeleteAlarmMuteRuleInput): Promise<void> {
    if (this.rules(scope).delete(input.AlarmMuteRuleName)) await this.onChange(scope);
  }

  findByArn(scope: Scope, resourceArn: string): MuteRuleRecord | undefined {
    const prefix = this.arnFor(scope, "");
    return resourceArn.startsWith(prefix) ? this.rules(scope).get(resourceArn.slice(prefix.length)) : undefined;
  }

  setTags(scope: Scope, name: string, tags: Tag[]): void {
    this.rules(scope).update(name, (rule) => {
      rule.tags = tags;
    });
  }
}
