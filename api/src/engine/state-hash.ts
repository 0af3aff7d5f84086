/**
 * FNV-1a 64-bit, self-contained (no node:crypto), for the book's state hash.
 *
 * The 64-bit state is kept as four 16-bit limbs so every intermediate product stays far below
 * 2^53 and the arithmetic is exact in plain JavaScript numbers. Not cryptographic: it detects
 * divergence between replays, not tampering.
 */

const PRIME_LOW = 0x1b3; // FNV 64-bit prime = 2^40 + 0x1b3

export class Fnv1a64 {
  private h0 = 0x2325; // offset basis 0xcbf29ce484222325, low limb first
  private h1 = 0x8422;
  private h2 = 0x9ce4;
  private h3 = 0xcbf2;
  private readonly view = new DataView(new ArrayBuffer(8));

  /** Mixes one byte (0..255) into the hash. */
  byte(b: number): this {
    const x0 = this.h0 ^ (b & 0xff);
    const x1 = this.h1;
    const x2 = this.h2;
    const x3 = this.h3;
    // (x * (2^40 + 0x1b3)) mod 2^64, limb by limb
    const t0 = x0 * PRIME_LOW;
    const t1 = x1 * PRIME_LOW + (t0 >>> 16);
    const t2 = x2 * PRIME_LOW + (t1 >>> 16) + (x0 << 8);
    const t3 = x3 * PRIME_LOW + (t2 >>> 16) + (x1 << 8);
    this.h0 = t0 & 0xffff;
    this.h1 = t1 & 0xffff;
    this.h2 = t2 & 0xffff;
    this.h3 = t3 & 0xffff;
    return this;
  }

  /** Mixes a number as its 8 IEEE-754 bytes, little-endian (so 1 and 1.5 and NaN all differ). */
  number(n: number): this {
    this.view.setFloat64(0, n, true);
    for (let i = 0; i < 8; i++) this.byte(this.view.getUint8(i));
    return this;
  }

  /** Mixes the UTF-16 code units of a string, each as two bytes, then its length. */
  string(s: string): this {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      this.byte(c & 0xff).byte(c >>> 8);
    }
    return this.number(s.length);
  }

  /** The hash as 16 lowercase hex digits. */
  digest(): string {
    return [this.h3, this.h2, this.h1, this.h0].map((l) => l.toString(16).padStart(4, '0')).join('');
  }
}

/** FNV-1a 64 of a byte sequence, as 16 hex digits (test vectors: '' → cbf29ce484222325, 'a' → af63dc4c8601ec8c). */
export function fnv1a64(bytes: ArrayLike<number>): string {
  const h = new Fnv1a64();
  for (let i = 0; i < bytes.length; i++) h.byte(bytes[i]!);
  return h.digest();
}
