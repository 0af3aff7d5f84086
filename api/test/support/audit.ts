/**
 * The database audit, for suites: it lives in src/modules/audit (the `audit` CLI uses it too).
 * See api/src/modules/audit/audit.ts for the rules.
 */
export * from '../../src/modules/audit/audit.js';
