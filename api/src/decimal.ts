/**
 * Exact decimal ↔ tick conversion. On the wire prices are decimal strings; inside they are
 * integer ticks of a product's tick size. Binary floats never touch a price.
 */

const DECIMAL = /^(\d{1,18})(?:\.(\d{1,12}))?$/;

/** A non-negative decimal as an integer mantissa and a scale: 12.34 → { units: 1234n, scale: 2 }. */
interface Fixed {
  readonly units: bigint;
  readonly scale: number;
}

function parseFixed(text: string): Fixed | undefined {
  const m = DECIMAL.exec(text);
  if (!m) return undefined;
  const frac = m[2] ?? '';
  return { units: BigInt(m[1]! + frac), scale: frac.length };
}

function rescale(f: Fixed, scale: number): bigint {
  return f.units * 10n ** BigInt(scale - f.scale);
}

/** True when `text` is a plain non-negative decimal such as "12", "0.5", "12.340". */
export function isDecimal(text: string): boolean {
  return DECIMAL.test(text);
}

/**
 * Converts a decimal price to ticks of `tickSize`. Returns undefined when the text is not a
 * plain decimal, is not a whole multiple of the tick, or does not fit a safe integer.
 */
export function toTicks(price: string, tickSize: string): number | undefined {
  const p = parseFixed(price);
  const t = parseFixed(tickSize);
  if (!p || !t || t.units === 0n) return undefined;
  const scale = Math.max(p.scale, t.scale);
  const pu = rescale(p, scale);
  const tu = rescale(t, scale);
  if (pu % tu !== 0n) return undefined;
  const ticks = pu / tu;
  return ticks <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(ticks) : undefined;
}

/** True when `price` is a plain decimal that is a whole multiple of `tickSize`, however large. */
export function isOnTick(price: string, tickSize: string): boolean {
  const p = parseFixed(price);
  const t = parseFixed(tickSize);
  if (!p || !t || t.units === 0n) return false;
  const scale = Math.max(p.scale, t.scale);
  return rescale(p, scale) % rescale(t, scale) === 0n;
}

/** Converts ticks to a decimal string with the tick size's number of decimals: 1234 × "0.01" → "12.34". */
export function fromTicks(ticks: number | bigint, tickSize: string): string {
  const t = parseFixed(tickSize);
  if (!t) throw new Error(`invalid tick size ${tickSize}`);
  return formatUnits(BigInt(ticks) * t.units, t.scale);
}

/**
 * A notional in ticks × lots divided by a quantity, as a decimal string rounded half-up to
 * `extraDecimals` more places than the tick size: the average price of fills (AvgPx).
 */
export function averagePrice(notionalTicks: number | bigint, qty: number | bigint, tickSize: string, extraDecimals = 4): string | null {
  if (qty <= 0) return null;
  const t = parseFixed(tickSize);
  if (!t) throw new Error(`invalid tick size ${tickSize}`);
  const scale = t.scale + extraDecimals;
  const numerator = BigInt(notionalTicks) * t.units * 10n ** BigInt(extraDecimals);
  const q = BigInt(qty);
  const neg = numerator < 0n;
  const abs = neg ? -numerator : numerator;
  const rounded = (abs * 2n + q) / (2n * q);
  return formatUnits(neg ? -rounded : rounded, scale);
}

function formatUnits(units: bigint, scale: number): string {
  const neg = units < 0n;
  const digits = (neg ? -units : units).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = scale > 0 ? '.' + digits.slice(digits.length - scale) : '';
  return (neg ? '-' : '') + int + frac;
}

/** The tick count of a catalog price such as "11.48" at tick "0.01"; undefined when empty or off-tick. */
export function catalogPriceTicks(price: string, tickSize: string): number | undefined {
  const trimmed = price.trim();
  if (trimmed === '') return undefined;
  const ticks = toTicks(trimmed, tickSize);
  // 471 catalog rows say 0.00: no price known, not a price of zero (a change against it would be the whole last price).
  return ticks === 0 ? undefined : ticks;
}
