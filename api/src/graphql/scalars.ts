import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { isDecimal } from '../decimal.js';

/**
 * What an output Decimal may look like: wider than an input, since outputs include products of
 * sums (a market value is up to 2^53 ticks × 2^53 lots, 32 digits, times the tick's units) and
 * averages carry 4 decimals more than the tick size (up to 12).
 */
const SIGNED_DECIMAL = /^-?\d{1,40}(\.\d{1,16})?$/;

function decimalError(): GraphQLError {
  return new GraphQLError('A Decimal is a string such as "12.34" (at most 18 integer and 12 fractional digits).', {
    extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_DECIMAL' },
  });
}

/**
 * Exact decimal numbers (prices, notionals) as strings on the wire, never binary floats.
 * Input accepts a non-negative decimal string ("12.34") or an integer; output may be negative
 * (e.g. a price change).
 */
export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'An exact decimal number as a string, e.g. "12.34". Inputs are non-negative; outputs may be negative (changes, P&L).',
  serialize(value) {
    if (typeof value === 'string' && SIGNED_DECIMAL.test(value)) return value;
    throw new GraphQLError('Decimal cannot represent this value.');
  },
  parseValue(value) {
    if (typeof value === 'string' && isDecimal(value)) return value;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
    throw decimalError();
  },
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING && isDecimal(ast.value)) return ast.value;
    if (ast.kind === Kind.INT && /^\d{1,18}$/.test(ast.value)) return ast.value;
    throw decimalError();
  },
});
