/**
 * Metric alarms: configuration, state, history, evaluation on the clock (a
 * persisted scheduler job per alarm, due just after each period boundary) and
 * actions on state transitions.
 */
import type { Cloud } from "../../../cloud.js";
import type { Job } from "../../../clock/scheduler.js";
import { arn } from "../../../core/ids.js";
import type {
  DeleteAlarmsInput,
  DescribeAlarmHistoryInput,
  DescribeAlarmHistoryOutput,
  DescribeAlarmsForMetricInput,
  DescribeAlarmsForMetricOutput,
  DescribeAlarmsInput,
  DescribeAlarmsOutput,
  DisableAlarmActionsInput,
  EnableAlarmActionsInput,
  CompositeAlarm,
  MetricAlarm,
  PutCompositeAlarmInput,
  PutMetricAlarmInput,
  SetAlarmStateInput,
  StateValue,
  Tag,
} from "../../../generated/cloudwatch.js";
import type { Scope } from "../../../state/documents.js";
import { CwErrors } from "../errors.js";
import { dimensionsKey, SECOND, sortDimensions, type Dimension, type MetricIdentity, type MetricStore } from "../metric-store.js";
import { runAction } from "./actions.js";
import { AlarmStore, historyView, parsedReasonData, type AlarmRecord } from "./alarm-store.js";
import { CompositeAlarms, type AlarmHost, type AlarmView } from "./composite.js";
import { alarmFromInput, alarmPeriod, MAX_ALARMS } from "./config.js";
import { decide, fetchRange, type Outcome } from "./evaluate.js";
import { javaJson } from "./java-json.js";
import { MuteRules } from "./mute-rules.js";
import { MutedActions, type MuteHost } from "./muted-actions.js";

export const EVALUATE_JOB = "cloudwatch.alarm.evaluate";
/** Evaluations run this long after a period boundary, after publishers due at the boundary. */
const EVALUATION_DELAY = SECOND;
const DEFAULT_MAX_RECORDS = 50;

interface EvaluatePayload {
  name: string;
}

export class Alarms implements AlarmHost, MuteHost {
  readonly store: AlarmStore;
  readonly composites: CompositeAlarms;
  readonly muteRules: MuteRules;
  private readonly mutedActions: MutedActions;
  /**
   * Single-metric alarms whose last evaluation found no data and settled: with
   * nothing in range the outcome cannot change, so they sleep (no job) until
   * their metric receives data. Keyed by scope and metric; rebuilt at start-up.
   */
  private readonly dormant = new Map<string, Set<string>>();

  constructor(
    private readonly cloud: Cloud,
    private readonly metrics: MetricStore,
  ) {
    this.store = new AlarmStore(cloud);
    this.composites = new CompositeAlarms(cloud, this.store, this);
    this.muteRules = new MuteRules(cloud, (scope, name) => this.view(scope, name) !== undefined);
    this.mutedActions = new MutedActions(cloud, this.store, this.muteRules, this);
    metrics.onData((scope, touched) => this.wake(scope, touched));
  }

  onStart(): void {
    this.cloud.scheduler.on<EvaluatePayload>(EVALUATE_JOB, (job) => this.evaluateJob(job));
    this.composites.onStart();
    this.mutedActions.onStart();
    for (const scope of this.store.scopes()) {
      for (const record of this.store.alarms(scope).values()) {
        if (!this.cloud.scheduler.get(this.jobKey(scope, record.alarm.AlarmName!))) this.sleep(scope, record.alarm);
      }
    }
  }

  onReset(): void {
    this.dormant.clear();
  }

  private metricKey(scope: Scope, namespace: string, name: string, dimensions: Dimension[]): string {
    return `${scope.account}\u0000${scope.region}\u0000${namespace}\u0000${name}\u0000${dimensionsKey(dimensions)}`;
  }

  private sleep(scope: Scope, alarm: MetricAlarm): void {
    if (alarm.Metrics) {
      this.schedule(scope, alarm);
      return;
    }
    const key = this.metricKey(scope, alarm.Namespace!, alarm.MetricName!, alarm.Dimensions ?? []);
    let names = this.dormant.get(key);
    if (!names) this.dormant.set(key, (names = new Set()));
    names.add(alarm.AlarmName!);
  }

  private wake(scope: Scope, touched: MetricIdentity[]): void {
    if (this.dormant.size === 0) return;
    for (const metric of touched) {
      const key = this.metricKey(scope, metric.namespace, metric.name, metric.dimensions);
      const names = this.dormant.get(key);
      if (!names) continue;
      this.dormant.delete(key);
      for (const name of names) {
        const record = this.store.alarms(scope).get(name);
        if (record) this.schedule(scope, record.alarm);
      }
    }
  }

  private forget(scope: Scope, alarm: MetricAlarm): void {
    if (alarm.Metrics) return;
    const key = this.metricKey(scope, alarm.Namespace!, alarm.MetricName!, alarm.Dimensions ?? []);
    this.dormant.get(key)?.delete(alarm.AlarmName!);
  }

  arnFor(scope: Scope, name: string): string {
    return arn({ service: "cloudwatch", region: scope.region, account: scope.account, resource: `alarm:${name}` });
  }

  private jobKey(scope: Scope, name: string): string {
    return `cloudwatch:alarm:${scope.account}:${scope.region}:${name}`;
  }

  private schedule(scope: Scope, alarm: MetricAlarm): void {
    this.forget(scope, alarm);
    const size = alarmPeriod(alarm) * SECOND;
    const due = (Math.floor(this.cloud.clock.now() / size) + 1) * size + EVALUATION_DELAY;
    this.cloud.scheduler.schedule<EvaluatePayload>({
      kind: EVALUATE_JOB,
      due,
      key: this.jobKey(scope, alarm.AlarmName!),
      account: scope.account,
      region: scope.region,
      payload: { name: alarm.AlarmName! },
    });
  }

  /** Any alarm's name, ARN and state (metric or composite). */
  view(scope: Scope, name: string): AlarmView | undefined {
    const metric = this.store.alarms(scope).get(name)?.alarm;
    const composite = metric ? undefined : this.composites.alarms(scope).get(name)?.alarm;
    const alarm = metric ?? composite;
    if (!alarm) return undefined;
    return {
      type: metric ? "MetricAlarm" : "CompositeAlarm",
      name,
      arn: alarm.AlarmArn!,
      state: alarm.StateValue!,
      updated: alarm.StateUpdatedTimestamp!,
      transitioned: alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp!,
    };
  }

  putComposite(scope: Scope, input: PutCompositeAlarmInput): Promise<void> {
    return this.composites.put(scope, input, this.store.alarms(scope).size);
  }

  put(scope: Scope, input: PutMetricAlarmInput): void {
    const config = alarmFromInput(input, scope.region);
    const alarms = this.store.alarms(scope);
    const existing = alarms.get(input.AlarmName);
    if (this.composites.alarms(scope).has(input.AlarmName)) {
      throw CwErrors.validation(`An alarm named ${input.AlarmName} already exists as a composite alarm.`);
    }
    if (!existing && alarms.size + this.composites.alarms(scope).size >= MAX_ALARMS) throw CwErrors.limitExceeded(`The maximum number of alarms (${MAX_ALARMS}) has been reached.`);
    const now = this.cloud.clock.date();
    const alarm: MetricAlarm = {
      ...config,
      AlarmArn: this.arnFor(scope, input.AlarmName),
      AlarmConfigurationUpdatedTimestamp: now,
      // An update keeps the alarm's state; a new alarm starts unchecked.
      StateValue: existing?.alarm.StateValue ?? "INSUFFICIENT_DATA",
      StateReason: existing?.alarm.StateReason ?? "Unchecked: Initial alarm creation",
      StateReasonData: existing?.alarm.StateReasonData,
      StateUpdatedTimestamp: existing?.alarm.StateUpdatedTimestamp ?? now,
      StateTransitionedTimestamp: existing?.alarm.StateTransitionedTimestamp ?? now,
    };
    if (existing) this.forget(scope, existing.alarm);
    this.cloud.documents.transaction(() => {
      // As on AWS, Tags count only when the alarm is created; an update keeps the alarm's tags.
      alarms.put(input.AlarmName, { alarm, tags: existing ? existing.tags : input.Tags ?? [] });
      const summary = `Alarm "${input.AlarmName}" ${existing ? "updated" : "created"}`;
      const data = existing
        ? { version: "1.0", type: "Update", updatedAlarm: historyView(alarm), originalAlarm: historyView(existing.alarm) }
        : { version: "1.0", type: "Create", createdAlarm: historyView(alarm) };
      this.store.addHistory(scope, input.AlarmName, "ConfigurationUpdate", summary, data);
    });
    this.schedule(scope, alarm);
  }

  describe(scope: Scope, input: DescribeAlarmsInput): DescribeAlarmsOutput {
    if (input.AlarmNames?.length && input.AlarmNamePrefix !== undefined) throw CwErrors.mutuallyExclusive("AlarmNames", "AlarmNamePrefix");
    const types = input.AlarmTypes ?? ["MetricAlarm"];
    // Both lists are always present (empty when not asked for), as AWS answers.
    const output: DescribeAlarmsOutput = { MetricAlarms: [], CompositeAlarms: [] };
    type Entry = { type: "MetricAlarm"; alarm: MetricAlarm; AlarmName?: string } | { type: "CompositeAlarm"; alarm: CompositeAlarm; AlarmName?: string };
    let matching: Entry[];
    const family = input.ChildrenOfAlarmName ?? input.ParentsOfAlarmName;
    if (family !== undefined) {
      if (input.ChildrenOfAlarmName !== undefined && input.ParentsOfAlarmName !== undefined) {
        throw CwErrors.mutuallyExclusive("ChildrenOfAlarmName", "ParentsOfAlarmName");
      }
      const other = (["AlarmNames", "AlarmNamePrefix", "StateValue", "ActionPrefix"] as const).find((k) => input[k] !== undefined);
      if (other) {
        const which = input.ChildrenOfAlarmName !== undefined ? "ChildrenOfAlarmName" : "ParentsOfAlarmName";
        throw CwErrors.validation(`If ${which} is specified, only MaxRecords, NextToken and AlarmTypes may also be specified.`);
      }
      let names: string[] = [];
      if (input.ChildrenOfAlarmName !== undefined) {
        const parent = this.composites.alarms(scope).get(input.ChildrenOfAlarmName)?.alarm;
        if (parent) names = this.composites.children(scope, parent);
      } else {
        names = this.composites.parents(scope, input.ParentsOfAlarmName!).map((a) => a.AlarmName!);
      }
      const wanted = input.AlarmTypes ?? ["MetricAlarm", "CompositeAlarm"];
      // Only the name, ARN, state and state time are returned for relatives, as AWS documents.
      matching = [...new Set(names)]
        .map((n) => this.view(scope, n))
        .filter((v): v is AlarmView => v !== undefined && wanted.includes(v.type))
        .map((v) => {
          const alarm = { AlarmName: v.name, AlarmArn: v.arn, StateValue: v.state, StateUpdatedTimestamp: v.updated };
          return v.type === "MetricAlarm" ? { type: v.type, alarm, AlarmName: v.name } : { type: v.type, alarm, AlarmName: v.name };
        })
        .sort((a, b) => (a.AlarmName < b.AlarmName ? -1 : a.AlarmName > b.AlarmName ? 1 : 0));
    } else {
      const names = input.AlarmNames ? new Set(input.AlarmNames) : undefined;
      const all: Entry[] = [
        ...(types.includes("MetricAlarm") ? this.sorted(scope).map((alarm) => ({ type: "MetricAlarm" as const, alarm, AlarmName: alarm.AlarmName })) : []),
        ...(types.includes("CompositeAlarm")
          ? this.composites
              .alarms(scope)
              .values()
              .map((r) => ({ type: "CompositeAlarm" as const, alarm: r.alarm, AlarmName: r.alarm.AlarmName }))
          : []),
      ].sort((a, b) => (a.AlarmName! < b.AlarmName! ? -1 : a.AlarmName! > b.AlarmName! ? 1 : 0));
      matching = all.filter(({ alarm: a }) =>
        (!names || names.has(a.AlarmName!)) &&
        (input.AlarmNamePrefix === undefined || a.AlarmName!.startsWith(input.AlarmNamePrefix)) &&
        (input.StateValue === undefined || a.StateValue === input.StateValue) &&
        (input.ActionPrefix === undefined ||
          [...(a.AlarmActions ?? []), ...(a.OKActions ?? []), ...(a.InsufficientDataActions ?? [])].some((x) => x.startsWith(input.ActionPrefix!))),
      );
    }
    const { page, next } = paginate(matching, input.NextToken, input.MaxRecords ?? DEFAULT_MAX_RECORDS);
    for (const entry of page) {
      if (entry.type === "MetricAlarm") output.MetricAlarms!.push(entry.alarm);
      else output.CompositeAlarms!.push(entry.alarm);
    }
    if (next) output.NextToken = next;
    return output;
  }

  describeForMetric(scope: Scope, input: DescribeAlarmsForMetricInput): DescribeAlarmsForMetricOutput {
    const dims = input.Dimensions ? dimensionsKey(sortDimensions(input.Dimensions)) : undefined;
    return {
      MetricAlarms: this.sorted(scope).filter(
        (a) =>
          !a.Metrics &&
          a.Namespace === input.Namespace &&
          a.MetricName === input.MetricName &&
          (dims === undefined || dimensionsKey(a.Dimensions ?? []) === dims) &&
          (input.Statistic === undefined || a.Statistic === input.Statistic) &&
          (input.ExtendedStatistic === undefined || a.ExtendedStatistic === input.ExtendedStatistic) &&
          (input.Period === undefined || a.Period === input.Period) &&
          (input.Unit === undefined || a.Unit === input.Unit),
      ),
    };
  }

  delete(scope: Scope, input: DeleteAlarmsInput): void {
    const alarms = this.store.alarms(scope);
    const composites = this.composites.alarms(scope);
    const compositeNames = input.AlarmNames.filter((name) => composites.has(name));
    if (compositeNames.length > 1) {
      throw CwErrors.validation("You can delete at most one composite alarm in one DeleteAlarms request.");
    }
    // An alarm a composite's rule still references cannot be deleted (unless that composite goes too).
    const deleting = new Set(input.AlarmNames);
    for (const name of input.AlarmNames) {
      const parents = this.composites.parents(scope, name).filter((p) => !deleting.has(p.AlarmName!));
      if (parents.length > 0) {
        throw CwErrors.validation(
          `Alarm ${name} cannot be deleted because it is referenced by composite alarm(s) [${parents.map((p) => p.AlarmName).join(", ")}].`,
        );
      }
    }
    // AWS deletes the alarms that exist and quietly ignores names that match none.
    const present = input.AlarmNames.filter((name) => alarms.has(name));
    this.cloud.documents.transaction(() => {
      for (const name of compositeNames) {
        this.composites.deleteOne(scope, name);
        this.mutedActions.forget(scope, name);
      }
      for (const name of present) {
        const record = alarms.get(name)!;
        this.mutedActions.forget(scope, name);
        this.forget(scope, record.alarm);
        alarms.delete(name);
        this.store.addHistory(scope, name, "ConfigurationUpdate", `Alarm "${name}" deleted`, {
          version: "1.0",
          type: "Delete",
          deletedAlarm: historyView(record.alarm),
        });
      }
    });
    for (const name of present) this.cloud.scheduler.cancel(this.jobKey(scope, name));
  }

  setActionsEnabled(scope: Scope, input: EnableAlarmActionsInput | DisableAlarmActionsInput, enabled: boolean): void {
    const alarms = this.store.alarms(scope);
    const composites = this.composites.alarms(scope);
    for (const name of input.AlarmNames) {
      if (composites.has(name)) {
        composites.update(name, (record) => {
          record.alarm.ActionsEnabled = enabled;
        });
        continue;
      }
      alarms.update(name, (record) => {
        record.alarm.ActionsEnabled = enabled;
      });
    }
  }

  async setState(scope: Scope, input: SetAlarmStateInput): Promise<void> {
    const record = this.store.alarms(scope).get(input.AlarmName);
    const composite = record ? undefined : this.composites.alarms(scope).get(input.AlarmName);
    if (!record && !composite) throw CwErrors.alarmNotFound();
    let data: Record<string, unknown> | undefined;
    if (input.StateReasonData !== undefined) {
      try {
        const parsed = JSON.parse(input.StateReasonData) as unknown;
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
        data = parsed as Record<string, unknown>;
      } catch {
        throw CwErrors.invalidFormat("The value of StateReasonData is not valid JSON.");
      }
    }
    if (!record) {
      // A composite keeps the state set until one of its children next changes state.
      await this.composites.setState(scope, input.AlarmName, input.StateValue, input.StateReason, input.StateReasonData);
      return;
    }
    await this.apply(scope, input.AlarmName, { state: input.StateValue, reason: input.StateReason, reasonData: data ?? {} }, input.StateReasonData);
    // The state set lasts until the next evaluation, which a sleeping alarm must still get.
    this.schedule(scope, record.alarm);
  }

  history(scope: Scope, input: DescribeAlarmHistoryInput): DescribeAlarmHistoryOutput {
    const limit = input.MaxRecords ?? 100;
    let offset = 0;
    if (input.NextToken !== undefined) {
      const match = /^ah1:(\d+)$/.exec(Buffer.from(input.NextToken, "base64").toString("utf8"));
      if (!match) throw CwErrors.invalidNextToken();
      offset = Number(match[1]);
    }
    const { items, more } = this.store.history(scope, {
      alarmName: input.AlarmName,
      alarmTypes: input.AlarmTypes ?? ["MetricAlarm"],
      itemType: input.HistoryItemType,
      from: input.StartDate?.getTime(),
      to: input.EndDate?.getTime(),
      ascending: input.ScanBy === "TimestampAscending",
      offset,
      limit,
    });
    const output: DescribeAlarmHistoryOutput = { AlarmHistoryItems: items };
    if (more) output.NextToken = Buffer.from(`ah1:${offset + limit}`).toString("base64");
    return output;
  }

  findByArn(scope: Scope, resourceArn: string): AlarmRecord | undefined {
    const prefix = this.arnFor(scope, "");
    if (!resourceArn.startsWith(prefix)) return undefined;
    const name = resourceArn.slice(prefix.length);
    const composite = this.composites.alarms(scope).get(name);
    if (composite) return { alarm: composite.alarm as MetricAlarm, tags: composite.tags };
    return this.store.alarms(scope).get(name);
  }

  setTags(scope: Scope, name: string, tags: Tag[]): void {
    if (this.composites.alarms(scope).has(name)) {
      this.composites.alarms(scope).update(name, (record) => {
        record.tags = tags;
      });
      return;
    }
    this.store.alarms(scope).update(name, (record) => {
      record.tags = tags;
    });
  }

  /** Evaluates an alarm now; answers whether its evaluation range held any data. */
  private async evaluate(scope: Scope, name: string): Promise<boolean> {
    const record = this.store.alarms(scope).get(name);
    if (!record) return false;
    const now = this.cloud.clock.now();
    const alarm = record.alarm;
    const points = fetchRange(this.metrics, scope, alarm, now);
    await this.apply(scope, name, decide(alarm, points, now));
    if (points.some((p) => p.value !== undefined) || alarm.Metrics) return true;
    // Datapoints stamped ahead of the range (up to two hours) will enter it without a new put.
    const metric = this.metrics.find(scope, { namespace: alarm.Namespace!, name: alarm.MetricName!, dimensions: alarm.Dimensions ?? [] });
    const size = alarmPeriod(alarm) * SECOND;
    return metric !== undefined && metric.lastTs >= Math.floor(now / size) * size;
  }

  private async evaluateJob(job: Job<EvaluatePayload>): Promise<void> {
    const scope = { account: job.account, region: job.region };
    if (!this.store.alarms(scope).get(job.payload.name)) return;
    let hadData = true;
    try {
      hadData = await this.evaluate(scope, job.payload.name);
    } finally {
      const current = this.store.alarms(scope).get(job.payload.name);
      if (current && hadData) this.schedule(scope, current.alarm);
      else if (current) this.sleep(scope, current.alarm);
    }
  }

  /** Records a state change (if any) and runs the new state's actions. */
  private async apply(scope: Scope, name: string, outcome: Outcome, rawReasonData?: string): Promise<void> {
    const alarms = this.store.alarms(scope);
    const record = alarms.get(name);
    if (!record || outcome.state === undefined) return;
    const old = record.alarm;
    const now = this.cloud.clock.date();
    const reasonData = rawReasonData ?? javaJson(outcome.reasonData);
    if (old.StateValue === outcome.state && rawReasonData === undefined) return;
    const changed = old.StateValue !== outcome.state;
    let updated: MetricAlarm | undefined;
    this.cloud.documents.transaction(() => {
      updated = alarms.update(name, (r) => {
        r.alarm.StateValue = outcome.state;
        r.alarm.StateReason = outcome.reason;
        r.alarm.StateReasonData = reasonData;
        r.alarm.StateUpdatedTimestamp = now;
        if (changed) r.alarm.StateTransitionedTimestamp = now;
      })?.alarm;
      if (changed) {
        this.store.addHistory(scope, name, "StateUpdate", `Alarm updated from ${old.StateValue} to ${outcome.state}`, {
          version: "1.0",
          oldState: { stateValue: old.StateValue, stateReason: old.StateReason },
          newState: { stateValue: outcome.state, stateReason: outcome.reason, stateReasonData: parsedReasonData(reasonData) },
        });
      }
    });
    if (changed && updated?.ActionsEnabled) await this.runActions(scope, updated, outcome.state);
    if (changed) await this.composites.childChanged(scope, name);
  }

  /** Whether an active alarm mute rule holds back this transition's actions (recording that it does). */
  actionsMuted(scope: Scope, alarm: MetricAlarm | CompositeAlarm, type: "MetricAlarm" | "CompositeAlarm", state: StateValue): boolean {
    return this.mutedActions.mute(scope, alarm, type, state);
  }

  /** A mute ended: the alarm's actions for the state it was muted in run if it is still in that state. */
  async runMutedActions(scope: Scope, name: string, state: StateValue): Promise<void> {
    const alarm = this.store.alarms(scope).get(name)?.alarm;
    if (!alarm) return this.composites.unmuted(scope, name, state);
    if (alarm.StateValue === state && alarm.ActionsEnabled) await this.runActions(scope, alarm, state);
  }

  private async runActions(scope: Scope, alarm: MetricAlarm, state: StateValue): Promise<void> {
    if (this.actionsMuted(scope, alarm, "MetricAlarm", state)) return;
    const actions = state === "ALARM" ? alarm.AlarmActions : state === "OK" ? alarm.OKActions : alarm.InsufficientDataActions;
    for (const action of actions ?? []) {
      const result = await runAction(this.cloud, scope, alarm, action);
      const summary = result.ok ? `Successfully executed action ${action}` : `Failed to execute action ${action}: ${result.detail}`;
      this.store.addHistory(scope, alarm.AlarmName!, "Action", summary, {
        actionState: result.ok ? "Succeeded" : "Failed",
        stateUpdateTimestamp: this.cloud.clock.now(),
        notificationResource: action,
        ...(result.ok ? {} : { error: result.detail }),
      });
    }
  }

  private sorted(scope: Scope): MetricAlarm[] {
    return this.store
      .alarms(scope)
      .values()
      .map((r) => r.alarm)
      .sort((a, b) => (a.AlarmName! < b.AlarmName! ? -1 : a.AlarmName! > b.AlarmName! ? 1 : 0));
  }
}

function paginate<T extends { AlarmName?: string }>(items: T[], token: string | undefined, limit: number): { page: T[]; next?: string } {
  let from = 0;
  if (token !== undefined) {
    const decoded = Buffer.from(token, "base64").toString("utf8");
    if (!decoded.startsWith("al1:")) throw CwErrors.invalidNextToken();
    const after = decoded.slice(4);
    from = items.findIndex((i) => i.AlarmName! > after);
    if (from < 0) from = items.length;
  }
  const page = items.slice(from, from + limit);
  const next = from + limit < items.length ? Buffer.from(`al1:${page[page.length - 1].AlarmName}`).toString("base64") : undefined;
  return { page, next };
}


