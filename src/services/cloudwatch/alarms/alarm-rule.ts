/**
 * A composite alarm's AlarmRule: ALARM(x), OK(x), INSUFFICIENT_DATA(x) (x an
 * alarm name or ARN, quoted or not), TRUE, FALSE, AND, OR, NOT and
 * parentheses. NOT binds tightest, then AND, then OR. Keywords are
 * case-insensitive, as AWS accepts `false` and `FALSE` alike.
 */
import type { StateValue } from "../../../generated/cloudwatch.js";
import { CwErrors } from "../errors.js";

export type RuleNode =
  | { kind: "const"; value: boolean }
  | { kind: "state"; state: StateValue; alarm: string }
  | { kind: "not"; arg: RuleNode }
  | { kind: "and" | "or"; args: RuleNode[] };

export const MAX_RULE_LENGTH = 10240;
export const MAX_RULE_ALARMS = 100;

const FUNCTIONS: Record<string, StateValue> = { ALARM: "ALARM", OK: "OK", INSUFFICIENT_DATA: "INSUFFICIENT_DATA" };

function ruleError(detail: string) {
  return CwErrors.validation(`Error in alarm rule: ${detail}`);
}

export function parseRule(text: string): RuleNode {
  let pos = 0;
  const skip = () => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const word = (): string | undefined => {
    skip();
    const m = /^[A-Za-z_]+/.exec(text.slice(pos));
    return m?.[0];
  };
  const expect = (ch: string) => {
    skip();
    if (text[pos] !== ch) throw ruleError(`expected '${ch}' at position ${pos + 1}.`);
    pos++;
  };
  const alarmRef = (): string => {
    skip();
    if (text[pos] === '"') {
      let out = "";
      pos++;
      while (pos < text.length && text[pos] !== '"') {
        if (text[pos] === "\\" && pos + 1 < text.length) pos++;
        out += text[pos++];
      }
      if (pos >= text.length) throw ruleError("unterminated alarm name.");
      pos++;
      return out;
    }
    const start = pos;
    while (pos < text.length && text[pos] !== ")") pos++;
    return text.slice(start, pos).trim();
  };
  const primary = (): RuleNode => {
    skip();
    if (text[pos] === "(") {
      pos++;
      const node = or();
      expect(")");
      return node;
    }
    const w = word();
    if (w === undefined) throw ruleError(pos >= text.length ? "unexpected end of rule." : `unexpected '${text[pos]}' at position ${pos + 1}.`);
    const upper = w.toUpperCase();
    if (upper === "TRUE" || upper === "FALSE") {
      pos += w.length;
      return { kind: "const", value: upper === "TRUE" };
    }
    if (upper === "NOT") {
      pos += w.length;
      return { kind: "not", arg: primary() };
    }
    const state = FUNCTIONS[upper];
    if (!state) throw ruleError(`unknown function ${w} at position ${pos + 1}.`);
    pos += w.length;
    expect("(");
    const alarm = alarmRef();
    if (alarm === "") throw ruleError(`${upper}() needs an alarm name or ARN.`);
    expect(")");
    return { kind: "state", state, alarm };
  };
  const binary = (op: "and" | "or", next: () => RuleNode) => (): RuleNode => {
    const args = [next()];
    for (;;) {
      const w = word();
      if (w?.toLowerCase() !== op) break;
      pos += w.length;
      args.push(next());
    }
    return args.length === 1 ? args[0] : { kind: op, args };
  };
  const and = binary("and", primary);
  const or = binary("or", and);
  const node = or();
  skip();
  if (pos < text.length) throw ruleError(`unexpected '${text.slice(pos, pos + 20)}' at position ${pos + 1}.`);
  return node;
}

/** The alarm names or ARNs a rule references, each once. */
export function ruleAlarms(node: RuleNode, out = new Set<string>()): Set<string> {
  if (node.kind === "state") out.add(node.alarm);
  else if (node.kind === "not") ruleAlarms(node.arg, out);
  else if (node.kind === "and" || node.kind === "or") for (const a of node.args) ruleAlarms(a, out);
  return out;
}

export function evaluateRule(node: RuleNode, stateOf: (alarm: string) => StateValue | undefined): boolean {
  switch (node.kind) {
    case "const":
      return node.value;
    case "state":
      return stateOf(node.alarm) === node.state;
    case "not":
      return !evaluateRule(node.arg, stateOf);
    case "and":
      return node.args.every((a) => evaluateRule(a, stateOf));
    case "or":
      return node.args.some((a) => evaluateRule(a, stateOf));
  }
}
