import { describe, expect, it } from 'vitest';
import { formErrors, hasCode, serverErrors } from './errors';

const apolloError = (...errors: { message: string; extensions?: Record<string, unknown> }[]) => ({ graphQLErrors: errors, networkError: null });

describe('server errors', () => {
  it('puts a coded error beside the field it names', () => {
    const e = apolloError({ message: 'Price must be a multiple of the tick size 0.01.', extensions: { code: 'BAD_USER_INPUT', reason: 'PRICE_OFF_TICK', field: 'price' } });
    expect(formErrors(e, ['price', 'quantity'])).toEqual({ fields: { price: 'Price must be a multiple of the tick size 0.01.' }, general: null });
  });

  it('maps reasons sent without a field to their field', () => {
    const e = apolloError({ message: 'This username is taken.', extensions: { code: 'CONFLICT', reason: 'USERNAME_TAKEN' } });
    expect(formErrors(e, ['username', 'password']).fields).toEqual({ username: 'This username is taken.' });
  });

  it('keeps errors for fields the form does not have as a general message', () => {
    const e = apolloError({ message: 'Too many failed logins; wait a few minutes.', extensions: { code: 'TOO_MANY_REQUESTS', reason: 'LOGIN_RATE_LIMITED' } });
    expect(formErrors(e, ['username'])).toEqual({ fields: {}, general: 'Too many failed logins; wait a few minutes.' });
  });

  it('reports a transport failure as NETWORK', () => {
    expect(serverErrors({ graphQLErrors: [], networkError: new TypeError('Failed to fetch') })).toEqual([
      { code: 'NETWORK', message: 'Cannot reach the server; check the connection and retry.' },
    ]);
  });

  it('reads GraphQL errors from an HTTP error body', () => {
    const e = { graphQLErrors: [], networkError: { result: { errors: [{ message: 'Log in first.', extensions: { code: 'UNAUTHENTICATED' } }] } } };
    expect(hasCode(e, 'UNAUTHENTICATED')).toBe(true);
  });

  it('reads a single GraphQL error and a plain Error', () => {
    expect(serverErrors({ message: 'No.', extensions: { code: 'FORBIDDEN' } })).toEqual([{ message: 'No.', code: 'FORBIDDEN', reason: undefined, field: undefined }]);
    expect(serverErrors(new Error('boom'))).toEqual([{ message: 'boom' }]);
    expect(serverErrors(null)).toEqual([]);
  });
});
