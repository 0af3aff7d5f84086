/**
 * The hostile-input tables, generated: wrong-typed values for every argument and input field of
 * every root field of the served schema, injection strings for every string argument, abusive
 * documents, batches, bodies and tokens. Each case is a raw HTTP request and what a clear answer
 * to it looks like; hostile.test.ts runs them.
 */
import {
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLScalarType,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';

/** A raw request to the server. */
export interface RawRequest {
  readonly method?: 'POST' | 'GET' | 'PUT';
  /** Path and query (default /graphql). */
  readonly path?: string;
  readonly headers?: Record<string, string>;
  /** The body as sent (already serialized). */
  readonly body?: string;
}

/** What counts as a clear answer to a case. */
export type Expect =
  /** Errors only, every one coded with one of `codes` (and data null or absent). */
  | { readonly kind: 'error'; readonly codes: readonly string[]; readonly reasons?: readonly string[]; readonly status?: number }
  /** Data without errors. */
  | { readonly kind: 'ok' }
  /** Either data, or coded errors among `codes`. */
  | { readonly kind: 'either'; readonly codes: readonly string[] };

export interface HostileCase {
  readonly group: string;
  readonly name: string;
  /** Which token to send: none, the admin's, a trader's. */
  readonly auth?: 'none' | 'admin' | 'trader';
  readonly request: RawRequest;
  readonly expect: Expect;
}

/** Codes a refusal may carry: the API's own and graphql-js/Apollo's request-level ones. */
export const REQUEST_CODES = ['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST', 'PAYLOAD_TOO_LARGE', 'OPERATION_RESOLUTION_FAILURE'] as const;
export const DOMAIN_CODES = ['BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'TOO_MANY_REQUESTS'] as const;

const gqlBody = (query: string, variables?: unknown, operationName?: string) => JSON.stringify({ query, ...(variables === undefined ? {} : { variables }), ...(operationName ? { operationName } : {}) });

/** Valid values for the arguments the generated cases do not attack, by argument or field name. */
export interface Baseline {
  readonly symbol: string;
  readonly orderId: string;
  readonly userId: string;
}

/** A valid value of an input type (so the only fault in a case is the one injected). */
export function validValue(type: GraphQLInputType, name: string, base: Baseline): unknown {
  if (isNonNullType(type)) return validValue(type.ofType, name, base);
  if (isListType(type)) return [validValue(type.ofType, name, base)];
  if (isEnumType(type)) return type.getValues()[0]!.value === undefined ? type.getValues()[0]!.name : type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    const fields = type.getFields();
    if (type.name === 'PlaceOrderInput') return { symbol: base.symbol, side: 'BUY', type: 'LIMIT', price: '1.00', quantity: 1, timeInForce: 'IOC' };
    if (type.name === 'CreateProductInput') return { symbol: 'HOSTILE1', name: 'Hostile One', type: 'STOCK' };
    const out: Record<string, unknown> = {};
    for (const f of Object.values(fields)) if (isNonNullType(f.type)) out[f.name] = validValue(f.type, f.name, base);
    return out;
  }
  const scalar = (type as GraphQLScalarType).name;
  switch (scalar) {
    case 'String':
      return /symbol/i.test(name) ? base.symbol : name === 'username' ? 'nobody-here' : name === 'password' ? 'not-the-password' : 'x';
    case 'ID':
      return /user/i.test(name) ? base.userId : base.orderId;
    case 'Int':
      return name === 'depth' ? 5 : name === 'first' ? 5 : 1;
    case 'Boolean':
      return false;
    case 'Decimal':
      return '1.00';
    case 'LocalDate':
      return '2020-01-01';
    default:
      return null;
  }
}

/** Values of the wrong type for an input type, each with a label. */
export function wrongValues(type: GraphQLInputType): [string, unknown][] {
  const nonNull = isNonNullType(type);
  const inner = nonNull ? type.ofType : type;
  const out: [string, unknown][] = nonNull ? [['null for a required value', null]] : [];
  if (isListType(inner)) return [...out, ['a list of nulls', [null]], ['a list of objects', [{ a: 1 }]], ['an object for a list', { a: 1 }]];
  if (isEnumType(inner)) return [...out, ['a lower-case enum value', inner.getValues()[0]!.name.toLowerCase()], ['an unknown enum value', 'HOLD'], ['a number for an enum', 1], ['an empty string for an enum', '']];
  if (isInputObjectType(inner)) {
    const required = Object.values(inner.getFields()).some((f) => isNonNullType(f.type));
    return [...out, ['a string for an input object', 'x'], ['a list for an input object', []], ...(required ? [['an empty input object', {}] as [string, unknown]] : []), ['an input object with an unknown field', { unknownField: 1 }]];
  }
  switch ((inner as GraphQLScalarType).name) {
    case 'String':
      return [...out, ['a number for a String', 123], ['a boolean for a String', true], ['an object for a String', { a: 1 }], ['a list for a String', ['a']]];
    case 'ID':
      return [...out, ['a float for an ID', 1.5], ['a boolean for an ID', true], ['an object for an ID', { id: 1 }]];
    case 'Int':
      return [
        ...out,
        ['a numeric string for an Int', '5'],
        ['a float for an Int', 1.5],
        ['2^31 for an Int', 2 ** 31],
        ['-2^31-1 for an Int', -(2 ** 31) - 1],
        ['1e300 for an Int', 1e300],
        ['"NaN" for an Int', 'NaN'],
        ['"Infinity" for an Int', 'Infinity'],
      ];
    case 'Boolean':
      return [...out, ['a string for a Boolean', 'true'], ['a number for a Boolean', 1]];
    case 'Decimal':
      return [
        ...out,
        ['"NaN" for a Decimal', 'NaN'],
        ['"Infinity" for a Decimal', 'Infinity'],
        ['"-Infinity" for a Decimal', '-Infinity'],
        ['an exponent Decimal', '1e5'],
        ['a negative Decimal', '-1'],
        ['a float number for a Decimal', 1.5],
        ['an empty Decimal', ''],
        ['a hexadecimal Decimal', '0x10'],
        ['Arabic-Indic digits for a Decimal', '١٢٣'],
        ['a decimal comma', '1,5'],
        ['40 digits for a Decimal', '9'.repeat(40)],
        ['2^53 as a number for a Decimal', 2 ** 53],
      ];
    case 'LocalDate':
      return [...out, ['month 13', '2020-13-01'], ['a word for a date', 'yesterday'], ['a number for a date', 20200101], ['February 30th', '2021-02-30']];
    default:
      return out;
  }
}

/** The GraphQL type of a variable for an input type (e.g. `[OrdStatus!]`). */
const typeName = (t: GraphQLInputType): string => t.toString();

/** `field(arg: $v …)` with every argument as a variable, and a selection when the field returns an object. */
function operationFor(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): string {
  const vars = field.args.map((a) => `$${a.name}: ${typeName(a.type)}`).join(', ');
  const args = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
  return `${kind} Hostile${vars ? `(${vars})` : ''} { ${field.name}${args ? `(${args})` : ''}${selectionFor(field)} }`;
}

/** A minimal selection for a field's return type. */
function selectionFor(field: GraphQLField<unknown, unknown>): string {
  const named = getNamedType(field.type);
  if (named instanceof GraphQLScalarType || named instanceof GraphQLEnumType) return '';
  return ' { __typename }';
}

/** Every (root field, argument or input field) with wrong-typed values: passed as variables. */
export function wrongTypeCases(schema: GraphQLSchema, base: Baseline): HostileCase[] {
  const cases: HostileCase[] = [];
  for (const [kind, root] of [['query', schema.getQueryType()], ['mutation', schema.getMutationType()]] as const) {
    for (const field of Object.values(root!.getFields())) {
      const valid = Object.fromEntries(field.args.map((a) => [a.name, validValue(a.type, a.name, base)]));
      const query = operationFor(kind, field);
      // Variable coercion (INVALID_VARIABLE), or the Decimal scalar's own check (INVALID_DECIMAL).
      const attack = (label: string, variables: Record<string, unknown>) =>
        cases.push({
          group: 'wrong types',
          name: `${field.name}: ${label}`,
          auth: 'admin',
          request: { body: gqlBody(query, variables) },
          expect: { kind: 'error', codes: ['BAD_USER_INPUT'], reasons: ['INVALID_VARIABLE', 'INVALID_DECIMAL'], status: 400 },
        });
      for (const arg of field.args) {
        for (const [label, value] of wrongValues(arg.type)) attack(`${arg.name} = ${label}`, { ...valid, [arg.name]: value });
        const inputType = getNamedType(arg.type);
        if (inputType instanceof GraphQLInputObjectType) {
          for (const f of Object.values(inputType.getFields())) {
            for (const [label, value] of wrongValues(f.type).slice(0, 3)) {
              attack(`${arg.name}.${f.name} = ${label}`, { ...valid, [arg.name]: { ...(valid[arg.name] as object), [f.name]: value } });
            }
          }
        }
      }
    }
  }
  return cases;
}

/** Inline (literal) wrong values: graphql-js validation refuses them before anything runs. */
export function literalCases(): HostileCase[] {
  const q = (name: string, query: string): HostileCase => ({ group: 'wrong types', name: `literal: ${name}`, auth: 'admin', request: { body: gqlBody(query) }, expect: { kind: 'error', codes: ['GRAPHQL_VALIDATION_FAILED'], status: 400 } });
  return [
    q('a string quantity', 'mutation { placeOrder(input: {symbol: "AAPL", side: BUY, type: LIMIT, price: "1.00", quantity: "5"}) { id } }'),
    q('a float quantity', 'mutation { placeOrder(input: {symbol: "AAPL", side: BUY, type: LIMIT, price: "1.00", quantity: 1.5}) { id } }'),
    q('an Int beyond 32 bits', '{ orderBook(symbol: "AAPL", depth: 99999999999) { seq } }'),
    q('a quoted enum', 'mutation { placeOrder(input: {symbol: "AAPL", side: "BUY", type: LIMIT, price: "1.00", quantity: 1}) { id } }'),
    q('a float price literal', 'mutation { placeOrder(input: {symbol: "AAPL", side: BUY, type: LIMIT, price: 1.5, quantity: 1}) { id } }'),
    q('a NaN price literal', 'mutation { placeOrder(input: {symbol: "AAPL", side: BUY, type: LIMIT, price: "NaN", quantity: 1}) { id } }'),
    q('a null for a required argument', '{ order(id: null) { id } }'),
    q('an unknown argument', '{ orderBook(symbol: "AAPL", limit: 5) { seq } }'),
    q('an unknown input field', 'mutation { placeOrder(input: {symbol: "AAPL", side: BUY, type: LIMIT, price: "1.00", quantity: 1, account: 1}) { id } }'),
    q('a variable used with the wrong type', 'query($d: String) { orderBook(symbol: "AAPL", depth: $d) { seq } }'),
    q('an undeclared variable', '{ orderBook(symbol: $s) { seq } }'),
  ];
}

/** Strings that have broken other systems: SQL, LIKE wildcards, NUL, unicode, very long. */
export const INJECTIONS: readonly [string, string][] = [
  ['SQL quote', `' OR '1'='1`],
  ['SQL statement', `x'; DROP TABLE orders; --`],
  ['SQL comment after a real symbol', `AAPL' --`],
  ['SQL sleep', `1 OR SLEEP(5)=0`],
  ['LIKE percent', '%'],
  ['LIKE underscore', '_'],
  ['LIKE escape then percent', '!%'],
  ['backslash', '\\'],
  ['NUL byte', 'AAPL\u0000'],
  ['only NUL', '\u0000'],
  ['emoji', '📈🚀'],
  ['right-to-left override', '\u202eLPAA'],
  ['lone surrogate', '\ud800'],
  ['template injection', '${jndi:ldap://127.0.0.1/x}'],
  ['HTML', '<script>alert(1)</script>'],
  ['very long (20,000 characters)', 'A'.repeat(20_000)],
];

/** Every string argument (and string input field) of every root field, with every injection string. */
export function injectionCases(schema: GraphQLSchema, base: Baseline, options: { unique: () => string }): HostileCase[] {
  const cases: HostileCase[] = [];
  const isString = (t: GraphQLInputType) => {
    const n = getNamedType(t);
    return n instanceof GraphQLScalarType && (n.name === 'String' || n.name === 'ID');
  };
  for (const [kind, root] of [['query', schema.getQueryType()], ['mutation', schema.getMutationType()]] as const) {
    for (const field of Object.values(root!.getFields())) {
      const query = operationFor(kind, field);
      const targets: { path: string; set: (vars: Record<string, unknown>, v: string) => void }[] = [];
      for (const arg of field.args) {
        if (isString(arg.type) && !isListType(isNonNullType(arg.type) ? arg.type.ofType : arg.type)) targets.push({ path: arg.name, set: (vars, v) => (vars[arg.name] = v) });
        const named = getNamedType(arg.type);
        if (named instanceof GraphQLInputObjectType) {
          for (const f of Object.values(named.getFields())) {
            if (isString(f.type)) targets.push({ path: `${arg.name}.${f.name}`, set: (vars, v) => (vars[arg.name] = { ...(vars[arg.name] as object), [f.name]: v }) });
          }
        }
      }
      for (const target of targets) {
        for (const [label, value] of INJECTIONS) {
          const vars = Object.fromEntries(field.args.map((a) => [a.name, validValue(a.type, a.name, base)]));
          // Writes go to throw-away rows: a fresh product symbol, a fresh ClOrdID.
          if (field.name === 'createProduct') vars.input = { ...(vars.input as object), symbol: options.unique() };
          if (field.name === 'placeOrder') vars.input = { ...(vars.input as object), clOrdId: options.unique() };
          target.set(vars, value);
          cases.push({
            group: 'injection',
            name: `${field.name}(${target.path}) = ${label}`,
            // login and signUp are anonymous; everything else as admin (no authorization refusal hides the input path).
            auth: field.name === 'login' || field.name === 'signUp' ? 'none' : 'admin',
            request: { body: gqlBody(query, vars) },
            expect: { kind: 'either', codes: DOMAIN_CODES },
          });
        }
      }
    }
  }
  return cases;
}

/** Nested, aliased, oversized and malformed documents (`maxDepth`: the server's GRAPHQL_MAX_DEPTH). */
export function documentCases(maxDepth: number): HostileCase[] {
  const c = (name: string, body: string, expect: Expect, auth: HostileCase['auth'] = 'trader'): HostileCase => ({ group: 'documents', name, auth, request: { body }, expect });
  const refused = (codes: readonly string[] = REQUEST_CODES, status?: number): Expect => ({ kind: 'error', codes, ...(status ? { status } : {}) });
  const nestOfType = (n: number) => {
    let inner = 'name';
    for (let i = 0; i < n; i++) inner = `ofType { ${inner} }`;
    return `{ __schema { types { fields { type { ${inner} } } } } }`;
  };
  const nestSame = (n: number) => `{ ${'a { '.repeat(n)}b${' }'.repeat(n)} }`;
  const aliases = (n: number, sel: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${sel}`).join(' ')} }`;
  /** Fragments that each spread the next one twice: 2^n paths if expanded naively. */
  const fragmentBomb = (n: number, op = 'query') =>
    `${op} { ...F0 } ${Array.from({ length: n }, (_, i) => `fragment F${i} on ${op === 'subscription' ? 'Subscription' : 'Query'} { ${i === n - 1 ? '__typename' : `...F${i + 1} ...F${i + 1}`} }`).join(' ')}`;
  const fragmentFieldBomb = (n: number) =>
    `query { me { ...U0 } } ${Array.from({ length: n }, (_, i) => `fragment U${i} on User { ${i === n - 1 ? 'id username' : `...U${i + 1} ...U${i + 1}`} }`).join(' ')}`;
  return [
    c(`nested ${maxDepth + 1} levels (one above the limit)`, gqlBody(nestOfType(maxDepth - 4)), refused(['GRAPHQL_VALIDATION_FAILED'], 400)),
    c(`nested ${maxDepth} levels (at the limit)`, gqlBody(nestOfType(maxDepth - 5)), { kind: 'ok' }),
    c('nested 100 levels', gqlBody(nestOfType(95)), refused(['GRAPHQL_VALIDATION_FAILED'], 400)),
    c('nested 1,000 levels of an unknown field', gqlBody(nestSame(1000)), refused(['GRAPHQL_VALIDATION_FAILED'], 400)),
    c('nested 5,000 levels of an unknown field', gqlBody(nestSame(5000)), refused(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST'])),
    c('nested 15,000 levels (parser recursion)', gqlBody(nestSame(15_000)), refused(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST', 'PAYLOAD_TOO_LARGE'])),
    c('a fragment cycle', gqlBody('query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }'), refused(['GRAPHQL_VALIDATION_FAILED'], 400)),
    c('a fragment bomb (2^30 expansions)', gqlBody(fragmentBomb(31)), refused()),
    c('a fragment bomb below a field (2^30 expansions)', gqlBody(fragmentFieldBomb(31)), refused()),
    c('a fragment bomb (2^12 expansions)', gqlBody(fragmentBomb(13)), refused()),
    c('1,000 aliases of __typename', gqlBody(aliases(1000, '__typename')), { kind: 'either', codes: ['BAD_USER_INPUT'] }),
    c('3,000 aliases of me', gqlBody(aliases(3000, 'me { id }')), refused(['BAD_USER_INPUT'])),
    c('10 aliased pages of 200 orders', gqlBody(aliases(10, 'orders(first: 200) { nodes { id } }')), refused(['BAD_USER_INPUT'])),
    c('25 aliased logins (brute force in one request)', gqlBody(`mutation { ${Array.from({ length: 25 }, (_, i) => `l${i}: login(username: "admin", password: "guess-${i}") { token }`).join(' ')} }`), { kind: 'error', codes: ['UNAUTHENTICATED', 'TOO_MANY_REQUESTS', 'BAD_USER_INPUT'] }, 'none'),
    c('a repeated directive', gqlBody('{ me @include(if: true) @include(if: true) { id } }'), refused(['GRAPHQL_VALIDATION_FAILED'], 400)),
    c('an unknown directive', gqlBody('{ me @evil { id } }'), refused(['GRAPHQL_VALIDATION_FAILED'], 400)),
    c('2,000 @skip directives', gqlBody(`{ me ${'@skip(if: false) '.repeat(2000)} { id } }`), refused(['GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT'])),
    c('a 60 kB comment', gqlBody(`# ${'x'.repeat(60_000)}\n{ __typename }`), { kind: 'ok' }),
    c('a 60 kB document of fields', gqlBody(`{ ${'__typename '.repeat(5400)} }`), { kind: 'either', codes: ['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'] }),
    c('a 70 kB document (above the body limit)', gqlBody(`{ ${'__typename '.repeat(7000)} }`), refused(['PAYLOAD_TOO_LARGE'], 413)),
    c('two operations without an operation name', gqlBody('query A { __typename } query B { __typename }'), refused()),
    c('an unknown operation name', gqlBody('query A { __typename }', {}, 'Nope'), refused()),
    c('a subscription over HTTP', gqlBody('subscription { trades(symbol: "AAPL") { price } }'), refused()),
    c('an anonymous and a named operation', gqlBody('{ __typename } query B { __typename }'), refused(['GRAPHQL_VALIDATION_FAILED'], 400)),
    c('an empty document', gqlBody(''), refused()),
    c('only whitespace', gqlBody('   \n\t '), refused()),
    c('a NUL byte in the document', gqlBody('{ me\u0000 { id } }'), refused(['GRAPHQL_PARSE_FAILED'], 400)),
    c('a BOM before the document', gqlBody('\ufeff{ __typename }'), { kind: 'either', codes: ['GRAPHQL_PARSE_FAILED'] }),
    c('an unterminated string', gqlBody('{ product(symbol: "AAPL) { symbol } }'), refused(['GRAPHQL_PARSE_FAILED'], 400)),
    c('a huge Int literal', gqlBody(`{ orderBook(symbol: "AAPL", depth: ${'9'.repeat(400)}) { seq } }`), refused(['GRAPHQL_VALIDATION_FAILED'], 400)),
    c('query is a number', JSON.stringify({ query: 42 }), refused(['BAD_REQUEST'], 400)),
    c('query is null', JSON.stringify({ query: null }), refused(['BAD_REQUEST'], 400)),
    c('query is an object', JSON.stringify({ query: { a: 1 } }), refused(['BAD_REQUEST'], 400)),
    c('no query at all', JSON.stringify({ variables: {} }), refused(['BAD_REQUEST'], 400)),
    c('variables is a string', JSON.stringify({ query: '{ __typename }', variables: 'x' }), refused(['BAD_REQUEST'], 400)),
    c('variables is a list', JSON.stringify({ query: '{ __typename }', variables: [1] }), refused(['BAD_REQUEST'], 400)),
    c('operationName is a number', JSON.stringify({ query: '{ __typename }', operationName: 5 }), refused(['BAD_REQUEST'], 400)),
    c('extensions is a string', JSON.stringify({ query: '{ __typename }', extensions: 'x' }), refused(['BAD_REQUEST'], 400)),
    c('a persisted-query hash that was never registered', JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }), refused(['PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'BAD_REQUEST'])),
    c('variables nested 2,000 levels deep', `{"query":"query($s: String!) { product(symbol: $s) { symbol } }","variables":{"s":${'['.repeat(2000)}${']'.repeat(2000)}}}`, refused(['BAD_USER_INPUT'], 400)),
    c('JSON nested 30,000 levels deep (an unknown key)', `{"query":"{ __typename }","x":${'['.repeat(30_000)}${']'.repeat(30_000)}}`, { kind: 'either', codes: ['BAD_REQUEST', 'PAYLOAD_TOO_LARGE'] }),
    c('duplicate JSON keys (the last query wins)', '{"query":"{ me { password } }","query":"{ __typename }"}', { kind: 'ok' }),
    c('introspection of everything', gqlBody('{ __schema { types { name fields { name args { name type { name } } } } } }'), { kind: 'either', codes: ['BAD_USER_INPUT'] }),
  ];
}

/** Array bodies (batching is off), and bodies that are not GraphQL requests at all. */
export function batchAndBodyCases(): HostileCase[] {
  const op = gqlBody('{ __typename }');
  const b = (name: string, request: RawRequest, codes: readonly string[], status?: number): HostileCase => ({ group: 'batches and bodies', name, auth: 'trader', request, expect: { kind: 'error', codes, ...(status ? { status } : {}) } });
  return [
    b('an empty array', { body: '[]' }, ['BAD_REQUEST'], 400),
    b('an array of one operation', { body: `[${op}]` }, ['BAD_REQUEST'], 400),
    b('an array of 1,000 operations', { body: `[${Array(1000).fill(op).join(',')}]` }, ['BAD_REQUEST'], 400),
    b('an array of 3,000 operations (above the body limit)', { body: `[${Array(3000).fill(op).join(',')}]` }, ['PAYLOAD_TOO_LARGE'], 413),
    b('nested arrays', { body: `[[${op}]]` }, ['BAD_REQUEST'], 400),
    b('an array of numbers', { body: '[1,2,3]' }, ['BAD_REQUEST'], 400),
    b('a JSON null body', { body: 'null' }, ['BAD_REQUEST'], 400),
    b('a JSON string body', { body: '"{ __typename }"' }, ['BAD_REQUEST'], 400),
    b('a JSON number body', { body: '123' }, ['BAD_REQUEST'], 400),
    b('a JSON true body', { body: 'true' }, ['BAD_REQUEST'], 400),
    b('an empty body', { body: '' }, ['BAD_REQUEST'], 400),
    b('truncated JSON', { body: op.slice(0, -2) }, ['BAD_REQUEST'], 400),
    b('JSON with a NUL byte outside strings', { body: `{"query":\u0000"{ __typename }"}` }, ['BAD_REQUEST'], 400),
    b('invalid UTF-8', { body: Buffer.from([0x7b, 0x22, 0x71, 0xff, 0xfe, 0x22, 0x7d]).toString('latin1'), headers: { 'content-type': 'application/json; charset=latin1' } }, ['BAD_REQUEST'], 400),
    b('a text/plain body (CSRF)', { body: op, headers: { 'content-type': 'text/plain' } }, ['BAD_REQUEST'], 400),
    b('a form body (CSRF)', { body: 'query=%7B__typename%7D', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, ['BAD_REQUEST'], 400),
    b('application/graphql', { body: '{ __typename }', headers: { 'content-type': 'application/graphql' } }, ['BAD_REQUEST'], 400),
    b('a mutation over GET', { method: 'GET', path: `/graphql?query=${encodeURIComponent('mutation { logout }')}`, headers: { 'apollo-require-preflight': 'true' } }, ['BAD_REQUEST'], 405),
    b('a GET without the CSRF preflight header', { method: 'GET', path: `/graphql?query=${encodeURIComponent('{ __typename }')}` }, ['BAD_REQUEST'], 400),
    b('a GET with variables that are not JSON', { method: 'GET', path: `/graphql?query=${encodeURIComponent('{ __typename }')}&variables=%7Bx`, headers: { 'apollo-require-preflight': 'true' } }, ['BAD_REQUEST'], 400),
    b('PUT', { method: 'PUT', body: op }, ['BAD_REQUEST'], 405),
  ];
}

/** Invalid, tampered, expired and revoked tokens on a protected and a public field. */
export function tokenCases(tokens: { valid: string; expired: string; revoked: string; disabled: string }): HostileCase[] {
  const flip = (t: string, i: number) => t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
  const headers: [string, string][] = [
    ['an empty bearer', 'Bearer '],
    ['"Bearer" alone', 'Bearer'],
    ['a Basic credential', 'Basic YWRtaW46YWRtaW4='],
    ['a token of 19 characters', `Bearer ${'x'.repeat(19)}`],
    ['a token of 8,000 characters', `Bearer ${'x'.repeat(8000)}`],
    ['a tampered token (first character)', `Bearer ${flip(tokens.valid, 0)}`],
    ['a tampered token (last character)', `Bearer ${flip(tokens.valid, tokens.valid.length - 1)}`],
    ['a truncated token', `Bearer ${tokens.valid.slice(0, -1)}`],
    ['a token with a character appended', `Bearer ${tokens.valid}A`],
    ['a token followed by a second word', `Bearer ${tokens.valid} extra`],
    ['two bearer tokens', `Bearer ${tokens.valid}, Bearer ${tokens.valid}`],
    ['an expired token', `Bearer ${tokens.expired}`],
    ['a revoked token (logged out)', `Bearer ${tokens.revoked}`],
    ['the token of a disabled account', `Bearer ${tokens.disabled}`],
    ['"Bearer null"', 'Bearer null'],
    ['a token with SQL in it', `Bearer ' OR '1'='1' --xxxxxxxxxxxx`],
    ['a JSON web token with alg none', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIiwicm9sZSI6IkFETUlOIn0.'],
    ['latin-1 characters', 'Bearer ÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿ'],
  ];
  const cases: HostileCase[] = [];
  for (const [label, authorization] of headers) {
    cases.push({ group: 'tokens', name: `protected field with ${label}`, auth: 'none', request: { body: gqlBody('{ myOrders { nodes { id } } }'), headers: { authorization } }, expect: { kind: 'error', codes: ['UNAUTHENTICATED'] } });
    cases.push({ group: 'tokens', name: `a mutation with ${label}`, auth: 'none', request: { body: gqlBody('mutation { placeOrder(input: {symbol: "AAPL", side: BUY, type: LIMIT, price: "1.00", quantity: 1}) { id } }'), headers: { authorization } }, expect: { kind: 'error', codes: ['UNAUTHENTICATED'] } });
    cases.push({ group: 'tokens', name: `public field with ${label}`, auth: 'none', request: { body: gqlBody('{ me { id } products(first: 1) { nodes { symbol } } }'), headers: { authorization } }, expect: { kind: 'ok' } });
  }
  return cases;
}
