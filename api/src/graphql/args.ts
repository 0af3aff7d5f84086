import { badInput } from '../errors.js';

/** Parses an ID argument holding a positive integer. */
export function parseId(id: string, field: string): number {
  if (!/^[1-9]\d{0,15}$/.test(id) || !Number.isSafeInteger(Number(id))) {
    throw badInput('INVALID_ID', `${field} must be an id this API returned.`, field);
  }
  return Number(id);
}

/** Page size: default 50; above the server's cap is an error rather than a silent cut. */
export function checkPageSize(first: number | undefined | null, max: number, fallback = 50): number {
  if (first === undefined || first === null) return Math.min(fallback, max);
  if (first < 1 || first > max) throw badInput('INVALID_PAGE_SIZE', `first must be between 1 and ${max}.`, 'first');
  return first;
}

/**
 * Units of operation complexity (about one field resolution each) that one database round trip
 * costs: added to every root field of a query or mutation (graphql/limits.ts).
 */
export const QUERY_COST = 10;

/** Units one row read from the database costs, before its fields: added per row of a page. */
export const ROW_COST = 4;

/**
 * The complexity of a paged list field: its page size times what one row costs (reading it plus
 * its fields). A `first` above the server's cap (`context.maxPageSize`, set by the complexity
 * gauge) is refused by the resolver with INVALID_PAGE_SIZE before anything is fetched, so it is
 * priced as one row and the client hears the precise reason rather than QUERY_TOO_COMPLEX.
 */
export function pageComplexity({ args, childComplexity, context }: { args: { first?: number | null }; childComplexity: number; context?: { maxPageSize?: number } }): number {
  const first = args.first ?? 50;
  const cap = context?.maxPageSize ?? Number.POSITIVE_INFINITY;
  return (first > cap || first < 1 ? 1 : first) * (ROW_COST + childComplexity);
}
