/**
 * Exact decimals, the one module for the API and the web client (the web imports it as
 * `@trading-app/api/decimal`). On the wire prices are decimal strings; inside the API they are
 * integer ticks of a product's tick size. Binary floats never touch a price: a value is an
 * integer mantissa (bigint) and a scale (decimal places). No imports, no I/O.
 */

/** A decimal as `units × 10^-scale`: "-12.340" → { units: -12340n, scale: 3 }. */
export interface Fixed {
  readonly units: bigint;
  readonly scale: number;
}

/** A price or tick size as the API accepts it: unsigned, at most 18 integer and 12 fractional digits. */
const INPUT = /^(\d{1,18})(?:\.(\d{1,12}))?$/;

/** Any plain decimal: optional sign, no exponent, no leading or trailing dot. */
const SIGNED = /^([+-])?(\d+)(?:\.(\d+))?$/;

/** True when `text` is a price the API accepts as input: "12", "0.5", "12.340" (not signed, not "1e3", at most 18.12 digits). */
export function isDecimal(text: string): boolean {
  return INPUT.test(text);
}

function parseInput(text: string): Fixed | undefined {
  const m = INPUT.exec(text);
  if (!m) return undefined;
  const frac = m[2] ?? '';
  return { units: BigInt(m[1]! + frac), scale: frac.length };
}

/** Parses a plain decimal string (optional sign, surrounding blanks ignored); undefined when malformed. */
export function parseDecimal(text: string): Fixed | undefined {
  const m = SIGNED.exec(text.trim());
  if (!m) return undefined;
  const frac = m[3] ?? '';
  const units = BigInt(m[2]! + frac);
  return { units: m[1] === '-' ? -units : units, scale: frac.length };
}

function must(text: string): Fixed {
  const f = parseDecimal(text);
  if (!f) throw new RangeError(`not a decimal: ${JSON.stringify(text)}`);
  return f;
}

function rescale(f: Fixed, scale: number): bigint {
  return f.units * 10n ** BigInt(scale - f.scale);
}

/** Formats a fixed value with exactly its scale's decimals: { -5n, 2 } → "-0.05". */
export function formatFixed(f: Fixed): string {
  const negative = f.units < 0n;
  const digits = (negative ? -f.units : f.units).toString().padStart(f.scale + 1, '0');
  const int = digits.slice(0, digits.length - f.scale);
  const frac = f.scale > 0 ? `.${digits.slice(digits.length - f.scale)}` : '';
  return `${negative ? '-' : ''}${int}${frac}`;
}

// ---- Ticks (the API's inside) ----

/**
 * Converts an input price to ticks of `tickSize`. Undefined when the text is not an input
 * decimal ({@link isDecimal}), is not a whole multiple of the tick, or does not fit a safe integer.
 */
export function toTicks(price: string, tickSize: string): number | undefined {
  const p = parseInput(price);
  const t = parseInput(tickSize);
  if (!p || !t || t.units === 0n) return undefined;
  const scale = Math.max(p.scale, t.scale);
  const pu = rescale(p, scale);
  const tu = rescale(t, scale);
  if (pu % tu !== 0n) return undefined;
  const ticks = pu / tu;
  return ticks <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(ticks) : undefined;
}

/** True when `price` is an input decimal that is a whole multiple of `tickSize`, however large. */
export function isOnTick(price: string, tickSize: string): boolean {
  const p = parseInput(price);
  const t = parseInput(tickSize);
  if (!p || !t || t.units === 0n) return false;
  const scale = Math.max(p.scale, t.scale);
  return rescale(p, scale) % rescale(t, scale) === 0n;
}

/** Converts ticks to a decimal string with the tick size's number of decimals: 1234 × "0.01" → "12.34". */
export function fromTicks(ticks: number | bigint, tickSize: string): string {
  const t = parseInput(tickSize);
  if (!t) throw new Error(`invalid tick size ${tickSize}`);
  return formatFixed({ units: BigInt(ticks) * t.units, scale: t.scale });
}

/**
 * A notional in ticks × lots divided by a quantity, as a decimal string rounded half away from
 * zero to `extraDecimals` more places than the tick size: the average price of fills (AvgPx).
 */
export function averagePrice(notionalTicks: number | bigint, qty: number | bigint, tickSize: string, extraDecimals = 4): string | null {
  if (qty <= 0) return null;
  const t = parseInput(tickSize);
  if (!t) throw new Error(`invalid tick size ${tickSize}`);
  const numerator = BigInt(notionalTicks) * t.units * 10n ** BigInt(extraDecimals);
  return formatFixed({ units: divRound(numerator, BigInt(qty)), scale: t.scale + extraDecimals });
}

/** The tick count of a catalog price such as "11.48" at tick "0.01"; undefined when empty or off-tick. */
export function catalogPriceTicks(price: string, tickSize: string): number | undefined {
  const trimmed = price.trim();
  if (trimmed === '') return undefined;
  const ticks = toTicks(trimmed, tickSize);
  // 471 catalog rows say 0.00: no price known, not a price of zero (a change against it would be the whole last price).
  return ticks === 0 ? undefined : ticks;
}

// ---- Arithmetic on decimal strings (the web client's totals and ladders) ----

/** Compares two decimal strings numerically: -1, 0 or 1. */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const x = must(a);
  const y = must(b);
  const scale = Math.max(x.scale, y.scale);
  const d = rescale(x, scale) - rescale(y, scale);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** a + b, at the larger of the two scales. */
export function addDecimal(a: string, b: string): string {
  const x = must(a);
  const y = must(b);
  const scale = Math.max(x.scale, y.scale);
  return formatFixed({ units: rescale(x, scale) + rescale(y, scale), scale });
}

/** a − b, at the larger of the two scales. */
export function subDecimal(a: string, b: string): string {
  const x = must(a);
  const y = must(b);
  const scale = Math.max(x.scale, y.scale);
  return formatFixed({ units: rescale(x, scale) - rescale(y, scale), scale });
}

/** a × n for a whole number n (a price times a quantity): exact, at a's scale. */
export function mulDecimalInt(a: string, n: number | bigint): string {
  const x = must(a);
  return formatFixed({ units: x.units * BigInt(n), scale: x.scale });
}

/** Divides integers rounding half away from zero. */
function divRound(n: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError('division by zero');
  const negative = n < 0n !== d < 0n;
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  const q = (an * 2n + ad) / (ad * 2n);
  return negative ? -q : q;
}

/** a ÷ b rounded half away from zero to `scale` decimals. */
export function divDecimal(a: string, b: string, scale: number): string {
  const x = must(a);
  const y = must(b);
  // a/b = (x.units / 10^xs) / (y.units / 10^ys); scaled by 10^scale.
  const num = x.units * 10n ** BigInt(scale + y.scale);
  const den = y.units * 10n ** BigInt(x.scale);
  return formatFixed({ units: divRound(num, den), scale });
}

/** Re-expresses a decimal with exactly `scale` decimals, rounding half away from zero. */
export function roundDecimal(a: string, scale: number): string {
  const x = must(a);
  if (scale >= x.scale) return formatFixed({ units: rescale(x, scale), scale });
  return formatFixed({ units: divRound(x.units, 10n ** BigInt(x.scale - scale)), scale });
}

/** Number of decimals a decimal string is written with: "0.010" → 3. */
export function scaleOf(a: string): number {
  return must(a).scale;
}

/** Sign of a decimal string: -1, 0 or 1. */
export function signOf(a: string): -1 | 0 | 1 {
  const u = must(a).units;
  return u < 0n ? -1 : u > 0n ? 1 : 0;
}

/**
 * A price moved by whole ticks: "140.00" + 2 × "0.01" → "140.02". Written with the larger of
 * the two scales, so a tick of "0.01" always gives two decimals.
 */
export function addTicks(price: string, tick: string, ticks: number): string {
  const p = must(price);
  const t = must(tick);
  const scale = Math.max(p.scale, t.scale);
  return formatFixed({ units: rescale(p, scale) + rescale(t, scale) * BigInt(ticks), scale });
}

/**
 * A price as a float for drawing only (chart coordinates, depth bars): never for arithmetic
 * that is shown or sent.
 */
export function toChartNumber(a: string): number {
  return Number(a);
}
