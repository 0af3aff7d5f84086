import { createHash } from 'node:crypto';

/** A minimal GraphQL-over-HTTP client for tests: what any script would send. */
export interface GqlResult<T = Record<string, unknown>> {
  readonly status: number;
  readonly data?: T | null;
  readonly errors?: { message: string; extensions?: { code?: string; reason?: string; field?: string } }[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function gql<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GqlResult<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as GqlResult<T>;
  return { ...body, status: res.status };
}

/** The data of a successful operation; throws with the errors otherwise. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function ok<T = Record<string, any>>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const r = await gql<T>(url, query, variables, token);
  if (r.errors?.length || !r.data) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
  return r.data;
}

/** The first error's code and reason (for tables of bad inputs). */
export async function errorOf(url: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const r = await gql(url, query, variables, token);
  const e = r.errors?.[0];
  return { code: e?.extensions?.code, reason: e?.extensions?.reason, message: e?.message, status: r.status, data: r.data };
}

export const ORDER_FIELDS = 'id clOrdId symbol side type timeInForce postOnly price quantity cumQty leavesQty avgPx status reason mine';

export const SIGN_UP = `mutation($u: String!, $p: String!) { signUp(username: $u, password: $p) { token user { id username role } } }`;
export const LOGIN = `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token user { id username role } } }`;
export const PLACE = `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { ${ORDER_FIELDS} } }`;
export const CANCEL = `mutation($id: ID!) { cancelOrder(id: $id) { ${ORDER_FIELDS} } }`;
export const AMEND = `mutation($id: ID!, $q: Int!, $p: Decimal) { amendOrder(id: $id, quantity: $q, price: $p) { ${ORDER_FIELDS} } }`;
export const BOOK = `query($s: String!) { orderBook(symbol: $s, depth: 20) { symbol seq bids { price quantity orderCount } asks { price quantity orderCount } } }`;

/**
 * The password test accounts are created with: distinct per name (case-insensitive, like
 * usernames) and within the password policy (not containing the name, not a common password).
 */
export function passwordOf(name: string): string {
  return `pw-${createHash('sha256').update(name.toLowerCase()).digest('base64url').slice(0, 12)}`;
}

/** Signs up a trader (password {@link passwordOf}) and returns its token and id. */
export async function trader(url: string, name: string): Promise<{ token: string; id: string }> {
  const d = await ok<{ signUp: { token: string; user: { id: string } } }>(url, SIGN_UP, { u: name, p: passwordOf(name) });
  return { token: d.signUp.token, id: d.signUp.user.id };
}
