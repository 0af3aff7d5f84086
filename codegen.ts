import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * GraphQL Code Generator: the API contract (schema/schema.graphql, printed from the server)
 * plus the web client's per-feature `.graphql` documents → typed documents in
 * web/src/graphql/generated/ (committed). Custom scalars are mapped and `strictScalars` is on,
 * so nothing comes out as `any`.
 */
const SCHEMA = 'schema/schema.graphql';

const config: CodegenConfig = {
  schema: SCHEMA,
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
