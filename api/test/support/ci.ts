/**
 * Whether this run is CI: the one definition for every project's tests (api, web, infra).
 * CI=1, true or yes (any case) counts; under CI a test whose tool or service is missing fails
 * instead of skipping.
 */
export const IN_CI = /^(1|true|yes)$/i.test(process.env.CI ?? '');
