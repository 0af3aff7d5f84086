/**
 * Screen state kept in the URL's query (filters, paging), so a reload keeps it and back/forward
 * walk through it. Pure helpers over vue-router's query values.
 */

/** A query value as vue-router gives it. */
export type QueryValue = string | null | (string | null)[] | undefined;
/** A query as vue-router takes it. */
export type Query = Record<string, QueryValue>;

/** One string (the first when repeated); null when absent or empty. */
export function queryString(v: QueryValue): string | null {
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s !== '' ? s : null;
}

/** Every non-empty string of a possibly repeated parameter, in order. */
export function queryList(v: QueryValue): string[] {
  return (Array.isArray(v) ? v : [v]).filter((s): s is string => typeof s === 'string' && s !== '');
}

/** A positive integer among `allowed`, else `fallback`. */
export function queryInt(v: QueryValue, allowed: readonly number[], fallback: number): number {
  const n = Number(queryString(v));
  return allowed.includes(n) ? n : fallback;
}

/** One of `allowed`, else `fallback`. */
export function queryEnum<T extends string>(v: QueryValue, allowed: readonly T[], fallback: T): T {
  const s = queryString(v);
  return s !== null && (allowed as readonly string[]).includes(s) ? (s as T) : fallback;
}

/**
 * `query` with `patch` applied: a patch value of undefined, null, '' or [] removes the parameter
 * (so defaults do not clutter the URL); other parameters are kept.
 */
export function patchQuery(query: Query, patch: Record<string, string | number | boolean | readonly string[] | null | undefined>): Query {
  const out: Query = { ...query };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || v === null || v === '' || v === false || (Array.isArray(v) && v.length === 0)) delete out[k];
    else out[k] = Array.isArray(v) ? [...(v as readonly string[])] : String(v);
  }
  return out;
}
