/**
 * What alarm mute rules do to actions, as AWS documents it: while a rule is
 * ACTIVE for an alarm, the alarm still evaluates and changes state, but the
 * actions of each transition (any state's) are held back and an `Action`
 * history item says so. When no rule mutes the alarm any more (the window
 * ends, or the rule is updated or deleted, or the alarm leaves its targets),
 * the actions of the state it was last muted in run, if the alarm is still
 * in that state — with the alarm's actions as they are then.
 */
import type { Cloud } from "../../../cloud.js";
import type { AlarmType, CompositeAlarm, MetricAlarm, StateValue } from "../../../generated/cloudwatch.js";
import type { Scope, ScopedCollection } from "../../../state/documents.js";
import type { AlarmStore } from "./alarm-store.js";
import type { MuteRules, MuteWindow } from "./mute-rules.js";

export const UNMUTE_JOB = "cloudwatch.alarm.unmute";

interface PendingMute {
  state: StateValue;
  type: AlarmType;
}

interface UnmutePayload {
  name: string;
}

export interface MuteHost {
  /** Runs the alarm's actions for `state` if it is still in that state with actions enabled. */
  runMutedActions(scope: Scope, name: string, state: StateValue): Promise<void>;
}

export function actionsFor(alarm: MetricAlarm | CompositeAlarm, state: StateValue): string[] {
  return (state === "ALARM" ? alarm.AlarmActions : state === "OK" ? alarm.OKActions : alarm.InsufficientDataActions) ?? [];
}

export class MutedActions {
  constructor(
    private readonly cloud: Cloud,
    private readonly store: AlarmStore,
    private readonly rules: MuteRules,
    private readonly host: MuteHost,
  ) {
    rules.onChange = (scope) => this.recheckAll(scope);
  }

  onStart(): void {
    this.cloud.scheduler.on<UnmutePayload>(UNMUTE_JOB, (job) => this.recheck({ account: job.account, region: job.region }, job.payload.name));
  }

  private pending(scope: Scope): ScopedCollection<PendingMute> {
    return this.cloud.documents.collection<PendingMute>("cloudwatch", "mutedAlarmActions").scope(scope);
  }

  private jobKey(scope: Scope, name: string): string {
    return `cloudwatch:alarm-unmute:${scope.account}:${scope.region}:${name}`;
  }

  private recheckAt(scope: Scope, name: string, windows: MuteWindow[]): void {
    this.cloud.scheduler.schedule<UnmutePayload>({
      kind: UNMUTE_JOB,
      due: Math.max(...windows.map((w) => w.end)),
      key: this.jobKey(scope, name),
      account: scope.account,
      region: scope.region,
      payload: { name },
    });
  }

  /** Called as a transition's actions are about to run: true when a mute rule holds them back. */
  mute(scope: Scope, alarm: MetricAlarm | CompositeAlarm, type: AlarmType, state: StateValue): boolean {
    const name = alarm.AlarmName!;
    const now = this.cloud.clock.now();
    const windows = this.rules.activeFor(scope, name, now);
    if (windows.length === 0) {
      // A transition outside any mute supersedes what a mute that just ended still held.
      if (this.pending(scope).has(name)) this.forget(scope, name);
      return false;
    }
    this.pending(scope).put(name, { state, type });
    this.recheckAt(scope, name, windows);
    const actions = actionsFor(alarm, state);
    if (actions.length === 0) return true;
    // As AWS describes it: the most recently created active rule, and how many others are active.
    const [latest] = windows;
    const others = windows.length - 1;
    const summary =
      `Actions muted by alarm mute rule ${latest.rule.name}` + (others > 0 ? ` and ${others} other active mute rule${others > 1 ? "s" : ""}` : "");
    this.store.addHistory(
      scope,
      name,
      "Action",
      summary,
      {
        version: "1.0",
        actionState: "Muted",
        stateValue: state,
        stateUpdateTimestamp: now,
        muteRule: latest.rule.name,
        muteRuleArn: latest.rule.arn,
        otherActiveMuteRules: others,
        mutedUntil: new Date(Math.max(...windows.map((w) => w.end))).toISOString(),
        notificationResources: actions,
      },
      now,
      type,
    );
    return true;
  }

  /** The alarm is gone: nothing of it waits for a mute to end. */
  forget(scope: Scope, name: string): void {
    this.pending(scope).delete(name);
    this.cloud.scheduler.cancel(this.jobKey(scope, name));
  }

  private async recheckAll(scope: Scope): Promise<void> {
    for (const name of this.pending(scope).ids()) await this.recheck(scope, name);
  }

  /** Runs the held actions once no rule mutes the alarm; otherwise looks again when the mute ends. */
  private async recheck(scope: Scope, name: string): Promise<void> {
    const pending = this.pending(scope).get(name);
    if (!pending) return;
    const windows = this.rules.activeFor(scope, name, this.cloud.clock.now());
    if (windows.length > 0) {
      this.recheckAt(scope, name, windows);
      return;
    }
    this.forget(scope, name);
    await this.host.runMutedActions(scope, name, pending.state);
  }
}
