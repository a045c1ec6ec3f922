/**
 * A minimal pickle machine (protocols 2 to 5) for the data.pkl of a
 * torch.save file. It never imports or runs anything: every GLOBAL is handed
 * to `findGlobal`, which returns a callable the reader knows or throws, and
 * persistent ids go to `persistentLoad`.
 */

/** A Python tuple (kept apart from lists, which are JS arrays). */
export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

/** A global the caller allowed: REDUCE calls it, BUILD hands it the state. */
export interface PyCallable {
  readonly qualifiedName: string;
  call(args: unknown[]): unknown;
}

/** An object that accepts BUILD's state (dicts take attributes: an OrderedDict's `_metadata`). */
export interface Buildable {
  build(state: unknown): void;
}

export interface PickleHooks {
  findGlobal(module: string, name: string): PyCallable;
  persistentLoad(pid: unknown): unknown;
}

/** A dict, or an OrderedDict: a Map in insertion order with BUILD's attributes beside it. */
export class PyDict extends Map<unknown, unknown> implements Buildable {
  attributes: unknown;
  build(state: unknown): void {
    this.attributes = state;
  }
}

const MARK = Symbol("mark");

export function unpickle(data: Buffer, hooks: PickleHooks): unknown {
  let pos = 0;
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();

  const need = (n: number) => {
    if (pos + n > data.length) throw new Error("the pickle is truncated");
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = () => data[need(1)];
  const u16 = () => data.readUInt16LE(need(2));
  const u32 = () => data.readUInt32LE(need(4));
  const u64 = () => {
    const value = data.readBigUInt64LE(need(8));
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error("a pickle length is too large");
    return Number(value);
  };
  const bytes = (n: number) => data.subarray(need(n), pos);
  const line = () => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw new Error("the pickle is truncated");
    const text = data.toString("utf8", pos, end);
    pos = end + 1;
    return text;
  };
  const pop = () => {
    if (stack.length === 0) throw new Error("the pickle pops an empty stack");
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) throw new Error("the pickle reads an empty stack");
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw new Error("the pickle has no MARK to return to");
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const get = (index: number) => {
    if (!memo.has(index)) throw new Error(`the pickle reads memo ${index}, which was never stored`);
    return memo.get(index);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) throw new Error("the pickle sets items on something that is not a dict");
    for (let i = 0; i + 1 < items.length; i += 2) target.set(dictKey(items[i]), items[i + 1]);
  };
  const append = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target)) throw new Error("the pickle appends to something that is not a list");
    target.push(...items);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw new Error("the pickle's protocol is newer than 5");
        break;
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(data.readInt32LE(need(4)));
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(littleEndianInt(bytes(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(littleEndianInt(bytes(u32())));
        break;
      case 0x47: // BINFLOAT (big-endian)
        stack.push(data.readDoubleBE(need(8)));
        break;
      case 0x58: // BINUNICODE
        stack.push(bytes(u32()).toString("utf8"));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(bytes(u8()).toString("utf8"));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(bytes(u64()).toString("utf8"));
        break;
      case 0x54: // BINSTRING (a Python 2 str)
        stack.push(bytes(u32()).toString("latin1"));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(bytes(u8()).toString("latin1"));
        break;
      case 0x42: // BINBYTES
        stack.push(Buffer.from(bytes(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(Buffer.from(bytes(u8())));
        break;
      case 0x8e: // BINBYTES8
        stack.push(Buffer.from(bytes(u64())));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const item = pop();
        append(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const dict = new PyDict();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push(hooks.findGlobal(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") throw new Error("STACK_GLOBAL needs two strings");
        stack.push(hooks.findGlobal(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        if (!isCallable(callable)) throw new Error("the pickle calls something that is not an allowed global");
        if (!(args instanceof PyTuple)) throw new Error(`the pickle calls ${callable.qualifiedName} without an argument tuple`);
        stack.push(callable.call(args.items));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const target = top();
        if (!isBuildable(target)) throw new Error("the pickle sets the state of an object that takes none");
        target.build(state);
        break;
      }
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()));
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(get(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(get(u32()));
        break;
      default:
        throw new Error(`the pickle uses opcode 0x${op.toString(16).padStart(2, "0")} at byte ${pos - 1}, which a state_dict does not need`);
    }
  }
}

function littleEndianInt(raw: Buffer): number {
  if (raw.length === 0) return 0;
  let value = 0n;
  for (let i = raw.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(raw[i]);
  if (raw[raw.length - 1] & 0x80) value -= 1n << BigInt(raw.length * 8);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new Error("a pickle integer is too large");
  return Number(value);
}

function dictKey(key: unknown): unknown {
  if (key === null || ["string", "number", "boolean"].includes(typeof key)) return key;
  throw new Error("the pickle uses a dict key that is not a string or a number");
}

function isCallable(value: unknown): value is PyCallable {
  return typeof value === "object" && value !== null && typeof (value as PyCallable).call === "function" && "qualifiedName" in value;
}

function isBuildable(value: unknown): value is Buildable {
  return typeof value === "object" && value !== null && typeof (value as Buildable).build === "function";
}
