/**
 * Composite alarms: a rule over other alarms' states (alarm-rule.ts),
 * recomputed whenever an alarm it references changes state (and so on up a
 * chain of composites, stopping at a cycle as AWS does), with history,
 * actions (SNS, Lambda and Systems Manager targets, which Stratus records as
 * failed deliveries) and an actions suppressor.
 */
import type { Cloud } from "../../../cloud.js";
import type { CompositeAlarm, MetricAlarm, PutCompositeAlarmInput, StateValue, Tag } from "../../../generated/cloudwatch.js";
import type { Scope, ScopedCollection } from "../../../state/documents.js";
import { CwErrors } from "../errors.js";
import { runAction } from "./actions.js";
import { evaluateRule, MAX_RULE_ALARMS, MAX_RULE_LENGTH, parseRule, ruleAlarms } from "./alarm-rule.js";
import { historyView, parsedReasonData, type AlarmStore } from "./alarm-store.js";
import { ec2ActionOf, MAX_ALARMS } from "./config.js";
import { awsDate } from "./evaluate.js";
import { javaJson } from "./java-json.js";

export interface CompositeRecord {
  alarm: CompositeAlarm;
  tags: Tag[];
}

/** What a composite needs to know about any alarm it references. */
export interface AlarmView {
  type: "MetricAlarm" | "CompositeAlarm";
  name: string;
  arn: string;
  state: StateValue;
  updated: Date;
  transitioned: Date;
}

export interface AlarmHost {
  arnFor(scope: Scope, name: string): string;
  view(scope: Scope, name: string): AlarmView | undefined;
  /** Whether an active alarm mute rule holds back a transition's actions. */
  actionsMuted(scope: Scope, alarm: CompositeAlarm, type: "CompositeAlarm", state: StateValue): boolean;
}

const COMPOSITE_ACTIONS = [
  /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/,
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:.+$/,
  /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:(opsitem|incident).*$/,
  /^arn:aws[a-z-]*:ssm-incidents::\d{12}:response-plan\/.+$/,
];

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** "Monday 01 September, 2025 06:05:01 UTC", as composite state reasons write times. */
function longDate(d: Date): string {
  const two = (x: number) => String(x).padStart(2, "0");
  return (
    `${DAYS[d.getUTCDay()]} ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]}, ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC`
  );
}

export const SUPPRESSION_JOB = "cloudwatch.composite.suppression";

interface SuppressionPayload {
  name: string;
  state: StateValue;
}

export class CompositeAlarms {
  constructor(
    private readonly cloud: Cloud,
    private readonly store: AlarmStore,
    private readonly host: AlarmHost,
  ) {}

  onStart(): void {
    this.cloud.scheduler.on<SuppressionPayload>(SUPPRESSION_JOB, (job) => this.suppressionOver({ account: job.account, region: job.region }, job.payload));
  }

  private jobKey(scope: Scope, name: string): string {
    return `cloudwatch:composite-suppression:${scope.account}:${scope.region}:${name}`;
  }

  private holdActions(scope: Scope, alarm: CompositeAlarm, by: "WaitPeriod" | "ExtensionPeriod", seconds: number): void {
    this.cloud.scheduler.schedule<SuppressionPayload>({
      kind: SUPPRESSION_JOB,
      due: this.cloud.clock.now() + seconds * 1000,
      key: this.jobKey(scope, alarm.AlarmName!),
      account: scope.account,
      region: scope.region,
      payload: { name: alarm.AlarmName!, state: alarm.StateValue! },
    });
  }

  /** A wait or extension period ended: the held actions run unless the suppressor is in ALARM. */
  private async suppressionOver(scope: Scope, payload: SuppressionPayload): Promise<void> {
    const alarms = this.alarms(scope);
    const alarm = alarms.get(payload.name)?.alarm;
    if (!alarm || alarm.StateValue !== payload.state || !alarm.ActionsSuppressedBy || alarm.ActionsSuppressedBy === "Alarm") return;
    const suppressor = alarm.ActionsSuppressor ? this.host.view(scope, this.nameOf(scope, alarm.ActionsSuppressor)) : undefined;
    if (suppressor?.state === "ALARM") {
      this.setSuppression(scope, payload.name, "Alarm", `Alarm ${suppressor.name} is in ALARM state.`);
      return;
    }
    this.setSuppression(scope, payload.name, undefined, undefined);
    if (alarm.ActionsEnabled) await this.runActions(scope, alarm, payload.state);
  }

  private setSuppression(scope: Scope, name: string, by: CompositeAlarm["ActionsSuppressedBy"], reason: string | undefined): void {
    this.alarms(scope).update(name, (r) => {
      if (by) {
        r.alarm.ActionsSuppressedBy = by;
        r.alarm.ActionsSuppressedReason = reason;
      } else {
        delete r.alarm.ActionsSuppressedBy;
        delete r.alarm.ActionsSuppressedReason;
      }
    });
  }

  /** An alarm some composites use as their actions suppressor changed state. */
  private suppressorChanged(scope: Scope, name: string): void {
    const view = this.host.view(scope, name);
    if (!view) return;
    for (const { alarm } of this.alarms(scope).values()) {
      if (!alarm.ActionsSuppressor || this.nameOf(scope, alarm.ActionsSuppressor) !== name) continue;
      if (alarm.ActionsSuppressedBy === "WaitPeriod" && view.state === "ALARM") {
        this.cloud.scheduler.cancel(this.jobKey(scope, alarm.AlarmName!));
        this.setSuppression(scope, alarm.AlarmName!, "Alarm", `Alarm ${name} is in ALARM state.`);
      } else if (alarm.ActionsSuppressedBy === "Alarm" && view.state !== "ALARM") {
        const seconds = alarm.ActionsSuppressorExtensionPeriod ?? 60;
        this.setSuppression(scope, alarm.AlarmName!, "ExtensionPeriod", `Extension period of ${seconds} seconds after alarm ${name} left ALARM state.`);
        this.holdActions(scope, { ...alarm, ActionsSuppressedBy: "ExtensionPeriod" }, "ExtensionPeriod", seconds);
      }
    }
  }

  alarms(scope: Scope): ScopedCollection<CompositeRecord> {
    return this.cloud.documents.collection<CompositeRecord>("cloudwatch", "compositeAlarm").scope(scope);
  }

  /** An alarm name from a rule reference (a name or this scope's alarm ARN). */
  nameOf(scope: Scope, ref: string): string {
    const prefix = this.host.arnFor(scope, "");
    return ref.startsWith(prefix) ? ref.slice(prefix.length) : ref;
  }

  children(scope: Scope, alarm: CompositeAlarm): string[] {
    return [...ruleAlarms(parseRule(alarm.AlarmRule!))].map((ref) => this.nameOf(scope, ref));
  }

  /** Composite alarms whose rule references `name`. */
  parents(scope: Scope, name: string): CompositeAlarm[] {
    return this.alarms(scope)
      .values()
      .map((r) => r.alarm)
      .filter((a) => this.children(scope, a).includes(name));
  }

  async put(scope: Scope, input: PutCompositeAlarmInput, metricAlarmCount: number): Promise<void> {
    if (input.AlarmRule.length > MAX_RULE_LENGTH) {
      throw CwErrors.validation(`The value for parameter AlarmRule must have length less than or equal to ${MAX_RULE_LENGTH}.`);
    }
    const rule = parseRule(input.AlarmRule);
    const refs = [...ruleAlarms(rule)];
    if (refs.length > MAX_RULE_ALARMS) throw CwErrors.validation(`An alarm rule can reference at most ${MAX_RULE_ALARMS} alarms.`);
    for (const ref of refs) {
      if (!this.host.view(scope, this.nameOf(scope, ref))) throw CwErrors.validation(`Could not save the composite alarm as alarms [${ref}] in the alarm rule do not exist`);
    }
    for (const field of ["AlarmActions", "OKActions", "InsufficientDataActions"] as const) {
      for (const action of input[field] ?? []) {
        if (ec2ActionOf(action)) throw CwErrors.validation(`EC2 actions are not supported for composite alarms: ${action}`);
        if (!COMPOSITE_ACTIONS.some((re) => re.test(action))) throw CwErrors.validation(`Invalid arn syntax: ${action}`);
      }
    }
    if (input.ActionsSuppressor !== undefined) {
      const suppressor = this.nameOf(scope, input.ActionsSuppressor);
      if (!this.host.view(scope, suppressor)) throw CwErrors.validation(`Could not save the composite alarm as the actions suppressor [${input.ActionsSuppressor}] does not exist`);
      if (suppressor === input.AlarmName) throw CwErrors.validation("A composite alarm cannot be its own actions suppressor.");
    } else if (input.ActionsSuppressorWaitPeriod !== undefined || input.ActionsSuppressorExtensionPeriod !== undefined) {
      throw CwErrors.validation("ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod require ActionsSuppressor.");
    }
    const alarms = this.alarms(scope);
    const existing = alarms.get(input.AlarmName);
    const other = this.host.view(scope, input.AlarmName);
    if (other && other.type === "MetricAlarm") throw CwErrors.validation(`An alarm named ${input.AlarmName} already exists as a metric alarm.`);
    if (!existing && metricAlarmCount + alarms.size >= MAX_ALARMS) throw CwErrors.limitExceeded(`The maximum number of alarms (${MAX_ALARMS}) has been reached.`);
    const now = this.cloud.clock.date();
    const alarm: CompositeAlarm = {
      AlarmName: input.AlarmName,
      AlarmArn: this.host.arnFor(scope, input.AlarmName),
      AlarmDescription: input.AlarmDescription,
      AlarmRule: input.AlarmRule,
      ActionsEnabled: input.ActionsEnabled ?? true,
      AlarmActions: input.AlarmActions ?? [],
      OKActions: input.OKActions ?? [],
      InsufficientDataActions: input.InsufficientDataActions ?? [],
      AlarmConfigurationUpdatedTimestamp: now,
      StateValue: existing?.alarm.StateValue ?? "INSUFFICIENT_DATA",
      StateReason: existing?.alarm.StateReason ?? "Unchecked: Initial alarm creation",
      StateReasonData: existing?.alarm.StateReasonData,
      StateUpdatedTimestamp: existing?.alarm.StateUpdatedTimestamp ?? now,
      StateTransitionedTimestamp: existing?.alarm.StateTransitionedTimestamp ?? now,
    };
    if (input.ActionsSuppressor !== undefined) {
      alarm.ActionsSuppressor = input.ActionsSuppressor;
      alarm.ActionsSuppressorWaitPeriod = input.ActionsSuppressorWaitPeriod ?? 60;
      alarm.ActionsSuppressorExtensionPeriod = input.ActionsSuppressorExtensionPeriod ?? 60;
    }
    this.cloud.documents.transaction(() => {
      alarms.put(input.AlarmName, { alarm, tags: existing ? existing.tags : input.Tags ?? [] });
      const summary = `Alarm "${input.AlarmName}" ${existing ? "updated" : "created"}`;
      const data = existing
        ? { version: "1.0", type: "Update", updatedAlarm: historyView(alarm), originalAlarm: historyView(existing.alarm) }
        : { version: "1.0", type: "Create", createdAlarm: historyView(alarm) };
      this.store.addHistory(scope, input.AlarmName, "ConfigurationUpdate", summary, data, undefined, "CompositeAlarm");
    });
    // A composite is evaluated as soon as it is saved.
    await this.recompute(scope, input.AlarmName, undefined, new Set());
  }

  /** An alarm changed state: recompute every composite that references it. */
  async childChanged(scope: Scope, name: string, visited = new Set<string>()): Promise<void> {
    this.suppressorChanged(scope, name);
    for (const parent of this.parents(scope, name)) {
      if (visited.has(parent.AlarmName!)) continue; // a cycle: evaluation stops here
      await this.recompute(scope, parent.AlarmName!, name, visited);
    }
  }

  private async recompute(scope: Scope, name: string, trigger: string | undefined, visited: Set<string>): Promise<void> {
    const record = this.alarms(scope).get(name);
    if (!record) return;
    visited.add(name);
    const children = this.children(scope, record.alarm);
    const truth = evaluateRule(parseRule(record.alarm.AlarmRule!), (ref) => this.host.view(scope, this.nameOf(scope, ref))?.state);
    const state: StateValue = truth ? "ALARM" : "OK";
    if (state === record.alarm.StateValue) return;
    const triggering = (trigger !== undefined ? [trigger] : children)
      .map((c) => this.host.view(scope, c))
      .filter((v): v is AlarmView => v !== undefined);
    const latest = triggering.slice().sort((a, b) => b.transitioned.getTime() - a.transitioned.getTime())[0];
    const reason = latest
      ? `${latest.arn} transitioned to ${latest.state} at ${longDate(latest.transitioned)}`
      : `The alarm rule ${record.alarm.AlarmRule} evaluated to ${truth ? "TRUE" : "FALSE"}`;
    const reasonData = {
      triggeringAlarms: triggering.map((v) => ({ arn: v.arn, state: { value: v.state, timestamp: awsDate(v.transitioned.getTime()) } })),
    };
    await this.apply(scope, name, state, reason, javaJson(reasonData), visited);
  }

  async setState(scope: Scope, name: string, state: StateValue, reason: string, reasonData: string | undefined): Promise<void> {
    await this.apply(scope, name, state, reason, reasonData, new Set([name]), true);
  }

  private async apply(
    scope: Scope,
    name: string,
    state: StateValue,
    reason: string,
    reasonData: string | undefined,
    visited: Set<string>,
    always = false,
  ): Promise<void> {
    const alarms = this.alarms(scope);
    const old = alarms.get(name)?.alarm;
    if (!old) return;
    const changed = old.StateValue !== state;
    if (!changed && !always) return;
    const now = this.cloud.clock.date();
    const suppressed = changed && old.ActionsEnabled ? this.suppression(scope, old) : undefined;
    if (changed) this.cloud.scheduler.cancel(this.jobKey(scope, name));
    let updated: CompositeAlarm | undefined;
    this.cloud.documents.transaction(() => {
      updated = alarms.update(name, (r) => {
        r.alarm.StateValue = state;
        r.alarm.StateReason = reason;
        r.alarm.StateReasonData = reasonData;
        r.alarm.StateUpdatedTimestamp = now;
        if (changed) r.alarm.StateTransitionedTimestamp = now;
        if (changed) {
          delete r.alarm.ActionsSuppressedBy;
          delete r.alarm.ActionsSuppressedReason;
          if (suppressed) {
            r.alarm.ActionsSuppressedBy = suppressed.by;
            r.alarm.ActionsSuppressedReason = suppressed.reason;
          }
        }
      })?.alarm;
      if (changed) {
        this.store.addHistory(
          scope,
          name,
          "StateUpdate",
          `Alarm updated from ${old.StateValue} to ${state}`,
          {
            version: "1.0",
            oldState: { stateValue: old.StateValue, stateReason: old.StateReason },
            newState: { stateValue: state, stateReason: reason, ...(reasonData ? { stateReasonData: parsedReasonData(reasonData) } : {}) },
          },
          undefined,
          "CompositeAlarm",
        );
      }
    });
    if (!changed || !updated) return;
    if (suppressed?.by === "WaitPeriod") this.holdActions(scope, updated, "WaitPeriod", updated.ActionsSuppressorWaitPeriod ?? 60);
    if (updated.ActionsEnabled && !suppressed) await this.runActions(scope, updated, state);
    await this.childChanged(scope, name, visited);
  }

  /**
   * Whether a transition's actions are held: while the suppressor is in ALARM, or (as AWS
   * does) for up to the wait period for the suppressor to go into ALARM.
   */
  private suppression(scope: Scope, alarm: CompositeAlarm): { by: "Alarm" | "WaitPeriod"; reason: string } | undefined {
    if (!alarm.ActionsSuppressor) return undefined;
    const suppressor = this.host.view(scope, this.nameOf(scope, alarm.ActionsSuppressor));
    if (!suppressor) return undefined;
    if (suppressor.state === "ALARM") return { by: "Alarm", reason: `Alarm ${suppressor.name} is in ALARM state.` };
    const seconds = alarm.ActionsSuppressorWaitPeriod ?? 60;
    return { by: "WaitPeriod", reason: `Waiting up to ${seconds} seconds for alarm ${suppressor.name} to go into ALARM state.` };
  }

  /** A mute ended: the composite's actions for `state` run if it is still in it, enabled and unsuppressed. */
  async unmuted(scope: Scope, name: string, state: StateValue): Promise<void> {
    const alarm = this.alarms(scope).get(name)?.alarm;
    if (!alarm || alarm.StateValue !== state || !alarm.ActionsEnabled || alarm.ActionsSuppressedBy) return;
    await this.runActions(scope, alarm, state);
  }

  private async runActions(scope: Scope, alarm: CompositeAlarm, state: StateValue): Promise<void> {
    if (this.host.actionsMuted(scope, alarm, "CompositeAlarm", state)) return;
    const actions = state === "ALARM" ? alarm.AlarmActions : state === "OK" ? alarm.OKActions : alarm.InsufficientDataActions;
    for (const action of actions ?? []) {
      const result = await runAction(this.cloud, scope, { AlarmName: alarm.AlarmName } as MetricAlarm, action);
      const summary = result.ok ? `Successfully executed action ${action}` : `Failed to execute action ${action}: ${result.detail}`;
      this.store.addHistory(
        scope,
        alarm.AlarmName!,
        "Action",
        summary,
        {
          actionState: result.ok ? "Succeeded" : "Failed",
          stateUpdateTimestamp: this.cloud.clock.now(),
          notificationResource: action,
          ...(result.ok ? {} : { error: result.detail }),
        },
        undefined,
        "CompositeAlarm",
      );
    }
  }

  deleteOne(scope: Scope, name: string): void {
    const record = this.alarms(scope).get(name);
    if (!record) return;
    this.alarms(scope).delete(name);
    this.cloud.scheduler.cancel(this.jobKey(scope, name));
    this.store.addHistory(scope, name, "ConfigurationUpdate", `Alarm "${name}" deleted`, { version: "1.0", type: "Delete", deletedAlarm: historyView(record.alarm) }, undefined, "CompositeAlarm");
  }
}


