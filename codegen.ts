import { readFileSync } from 'node:fs';
import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * GraphQL Code Generator: the API contract (schema/schema.graphql, printed from the server)
 * plus the web client's per-feature `.graphql` documents → typed documents in
 * web/src/graphql/generated/ (committed). Custom scalars are mapped and `strictScalars` is on,
 * so nothing comes out as `any`.
 */
const SCHEMA = 'schema/schema.graphql';

/**
 * Subscriptions agreed with the API but not yet printed into the schema: the client is coded
 * against them meanwhile. Used only while schema/schema.graphql has no `type Subscription`.
 */
const PENDING = 'web/src/graphql/pending-subscriptions.graphqls';
const hasSubscriptions = /^type Subscription\b/m.test(readFileSync(SCHEMA, 'utf8'));

const config: CodegenConfig = {
  schema: hasSubscriptions ? [SCHEMA] : [SCHEMA, PENDING],
  documents: ['web/src/**/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'web/src/graphql/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        strictScalars: true,
        scalars: {
          Decimal: 'string',
          DateTimeISO: 'string',
          LocalDate: 'string',
          SafeInt: 'number',
        },
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: false,
      },
    },
  },
};

export default config;
