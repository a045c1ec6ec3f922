/**
 * Metric math syntax: numbers, "strings", query ids (lower-case first
 * letter), FUNCTIONS(...) and KEYWORDS in capitals, [arrays], and the
 * operators ^ * / + - comparisons AND/&& OR/|| with the usual precedence.
 */

export type Node =
  | { type: "number"; value: number }
  | { type: "string"; value: string }
  | { type: "ref"; id: string }
  | { type: "keyword"; name: string }
  | { type: "call"; name: string; args: Node[] }
  | { type: "array"; items: Node[] }
  | { type: "unary"; op: "-"; operand: Node }
  | { type: "binary"; op: string; left: Node; right: Node };

export class MathSyntaxError extends Error {}

interface Token {
  kind: "number" | "string" | "ident" | "op" | "end";
  text: string;
  pos: number;
}

const OPERATORS = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "+", "-", "*", "/", "^", "(", ")", "[", "]", ","];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const number = /^(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?/.exec(text.slice(i));
    if (number) {
      tokens.push({ kind: "number", text: number[0], pos: i });
      i += number[0].length;
      continue;
    }
    if (c === '"' || c === "'" || c === "\u201c") {
      const close = c === "\u201c" ? "\u201d" : c;
      const endAt = text.indexOf(close, i + 1);
      if (endAt < 0) throw new MathSyntaxError(`Unterminated string at position ${i + 1}`);
      tokens.push({ kind: "string", text: text.slice(i + 1, endAt), pos: i });
      i = endAt + 1;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (ident) {
      tokens.push({ kind: "ident", text: ident[0], pos: i });
      i += ident[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (!op) throw new MathSyntaxError(`Unexpected character '${c}' at position ${i + 1}`);
    tokens.push({ kind: "op", text: op, pos: i });
    i += op.length;
  }
  tokens.push({ kind: "end", text: "", pos: text.length });
  return tokens;
}

export function parseExpression(text: string): Node {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at];
  const take = () => tokens[at++];
  const isOp = (...ops: string[]) => peek().kind === "op" && ops.includes(peek().text);
  const isWord = (...words: string[]) => peek().kind === "ident" && words.includes(peek().text);
  const expect = (op: string) => {
    if (!isOp(op)) throw new MathSyntaxError(`Expected '${op}' at position ${peek().pos + 1}`);
    take();
  };

  const or = (): Node => {
    let left = and();
    while (isOp("||") || isWord("OR")) {
      take();
      left = { type: "binary", op: "||", left, right: and() };
    }
    return left;
  };
  const and = (): Node => {
    let left = comparison();
    while (isOp("&&") || isWord("AND")) {
      take();
      left = { type: "binary", op: "&&", left, right: comparison() };
    }
    return left;
  };
  const comparison = (): Node => {
    let left = additive();
    while (isOp("==", "!=", "<=", ">=", "<", ">")) {
      const op = take().text;
      left = { type: "binary", op, left, right: additive() };
    }
    return left;
  };
  const additive = (): Node => {
    let left = multiplicative();
    while (isOp("+", "-")) {
      const op = take().text;
      left = { type: "binary", op, left, right: multiplicative() };
    }
    return left;
  };
  const multiplicative = (): Node => {
    let left = unary();
    while (isOp("*", "/")) {
      const op = take().text;
      left = { type: "binary", op, left, right: unary() };
    }
    return left;
  };
  const unary = (): Node => {
    if (isOp("-")) {
      take();
      return { type: "unary", op: "-", operand: unary() };
    }
    if (isOp("+")) {
      take();
      return unary();
    }
    return power();
  };
  const power = (): Node => {
    const base = primary();
    if (isOp("^")) {
      take();
      return { type: "binary", op: "^", left: base, right: unary() };
    }
    return base;
  };
  const primary = (): Node => {
    const token = take();
    if (token.kind === "number") return { type: "number", value: Number(token.text) };
    if (token.kind === "string") return { type: "string", value: token.text };
    if (token.kind === "op" && token.text === "(") {
      const inner = or();
      expect(")");
      return inner;
    }
    if (token.kind === "op" && token.text === "[") {
      const items: Node[] = [];
      if (!isOp("]")) {
        items.push(or());
        while (isOp(",")) {
          take();
          items.push(or());
        }
      }
      expect("]");
      return { type: "array", items };
    }
    if (token.kind === "ident") {
      if (/^[a-z]/.test(token.text)) return { type: "ref", id: token.text };
      if (isOp("(")) {
        take();
        const args: Node[] = [];
        if (!isOp(")")) {
          args.push(or());
          while (isOp(",")) {
            take();
            args.push(or());
          }
        }
        expect(")");
        return { type: "call", name: token.text, args };
      }
      return { type: "keyword", name: token.text };
    }
    if (token.kind === "end") throw new MathSyntaxError("Unexpected end of expression");
    throw new MathSyntaxError(`Unexpected '${token.text}' at position ${token.pos + 1}`);
  };

  const node = or();
  if (peek().kind !== "end") throw new MathSyntaxError(`Unexpected '${peek().text}' at position ${peek().pos + 1}`);
  return node;
}

/** Query ids an expression refers to (for dependency order and cycle checks). */
export function references(node: Node, out = new Set<string>()): Set<string> {
  switch (node.type) {
    case "ref":
      out.add(node.id);
      break;
    case "call":
      node.args.forEach((a) => references(a, out));
      break;
    case "array":
      node.items.forEach((a) => references(a, out));
      break;
    case "unary":
      references(node.operand, out);
      break;
    case "binary":
      references(node.left, out);
      references(node.right, out);
      break;
  }
  return out;
}

/** Whether the expression calls METRICS() (which depends on every metric query). */
export function usesMetrics(node: Node): boolean {
  switch (node.type) {
    case "call":
      return node.name === "METRICS" || node.args.some(usesMetrics);
    case "array":
      return node.items.some(usesMetrics);
    case "unary":
      return usesMetrics(node.operand);
    case "binary":
      return usesMetrics(node.left) || usesMetrics(node.right);
    default:
      return false;
  }
}
