/**
 * What CloudWatch keeps of the values in one aggregation cell: count, sum,
 * min, max, and — when the raw values are known — their distribution as sorted
 * (value, count) pairs, so percentiles and trimmed statistics are computed from
 * stored values. Distributions are bounded: past MAX_PAIRS distinct values,
 * values within a small relative distance are merged (CloudWatch's own
 * percentiles are approximate in the same way).
 */

/** Sorted by value; counts are positive. */
export type Pairs = Array<[value: number, count: number]>;

export interface Aggregate {
  n: number;
  sum: number;
  min: number;
  max: number;
  /** undefined: unknown (a statistic set whose values cannot be recovered). */
  pairs: Pairs | undefined;
}

const MAX_PAIRS = 1024;

export function emptyAggregate(): Aggregate {
  return { n: 0, sum: 0, min: Infinity, max: -Infinity, pairs: [] };
}

export function merge(into: Aggregate, other: Aggregate): Aggregate {
  into.n += other.n;
  into.sum += other.sum;
  if (other.min < into.min) into.min = other.min;
  if (other.max > into.max) into.max = other.max;
  into.pairs = into.pairs && other.pairs ? mergePairs(into.pairs, other.pairs) : undefined;
  return into;
}

export function mergePairs(a: Pairs, b: Pairs): Pairs {
  if (a.length === 0) return b.slice();
  if (b.length === 0) return a.slice();
  const out: Pairs = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let next: [number, number];
    if (j >= b.length || (i < a.length && a[i][0] < b[j][0])) next = a[i++];
    else if (i >= a.length || b[j][0] < a[i][0]) next = b[j++];
    else next = [a[i][0], a[i++][1] + b[j++][1]];
    const last = out[out.length - 1];
    if (last && last[0] === next[0]) last[1] += next[1];
    else out.push([next[0], next[1]]);
  }
  return out.length > MAX_PAIRS ? compress(out) : out;
}

/** Merges neighbours closer than a relative epsilon, widening it until the list fits. */
function compress(pairs: Pairs): Pairs {
  let epsilon = 0.001;
  let current = pairs;
  while (current.length > MAX_PAIRS) {
    const out: Pairs = [];
    for (const [value, count] of current) {
      const last = out[out.length - 1];
      if (last && Math.abs(value - last[0]) <= epsilon * Math.max(Math.abs(value), Math.abs(last[0]))) {
        const total = last[1] + count;
        last[0] = (last[0] * last[1] + value * count) / total;
        last[1] = total;
      } else out.push([value, count]);
    }
    current = out;
    epsilon *= 4;
  }
  return current;
}

/** Pairs from raw values and optional counts (PutMetricData's Values/Counts). */
export function pairsOf(values: number[], counts?: number[]): Pairs {
  const map = new Map<number, number>();
  values.forEach((value, i) => {
    const count = counts ? counts[i] : 1;
    if (count > 0) map.set(value, (map.get(value) ?? 0) + count);
  });
  const pairs = [...map.entries()].sort((x, y) => x[0] - y[0]) as Pairs;
  return pairs.length > MAX_PAIRS ? compress(pairs) : pairs;
}

/** Packs pairs as float64 [value, count, ...] for storage; an empty buffer means "unknown". */
export function packPairs(pairs: Pairs | undefined): Buffer {
  if (!pairs) return Buffer.alloc(0);
  const array = new Float64Array(pairs.length * 2);
  pairs.forEach(([value, count], i) => {
    array[2 * i] = value;
    array[2 * i + 1] = count;
  });
  return Buffer.from(array.buffer);
}

export function unpackPairs(blob: Buffer | null, n: number, min: number, max: number): Pairs | undefined {
  if (blob === null) return min === max ? [[min, n]] : undefined;
  if (blob.length === 0) return undefined;
  const copy = new Float64Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
  const out: Pairs = [];
  for (let i = 0; i < copy.length; i += 2) out.push([copy[i], copy[i + 1]]);
  return out;
}

/** Whether a cell's distribution needs storing (a single repeated value is implied by min = max). */
export function storedPairs(aggregate: Aggregate): Buffer | null {
  if (aggregate.pairs && aggregate.min === aggregate.max) return null;
  return packPairs(aggregate.pairs);
}
