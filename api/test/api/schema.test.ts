import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isEnumType, isInputObjectType, isObjectType, isScalarType, type GraphQLSchema } from 'graphql';
import { createSchema, printSortedSchema } from '../../src/graphql/schema.js';
import { repoRoot } from '../../src/paths.js';

describe('schema/schema.graphql', () => {
  it('is the schema the API serves (run `npm run schema` after changing it)', async () => {
    const committed = readFileSync(resolve(repoRoot, 'schema/schema.graphql'), 'utf8');
    expect(committed).toBe(printSortedSchema(await createSchema()));
  });

  it('describes every type, field, argument and enum value', async () => {
    const schema: GraphQLSchema = await createSchema();
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInputObjectType(type)) {
        for (const f of Object.values(type.getFields())) {
          if (!f.description) missing.push(`${type.name}.${f.name}`);
          for (const a of 'args' in f ? f.args : []) if (!a.description) missing.push(`${type.name}.${f.name}(${a.name})`);
        }
      }
      if (isEnumType(type)) for (const v of type.getValues()) if (!v.description) missing.push(`${type.name}.${v.name}`);
      if (isScalarType(type) && !type.description) missing.push(type.name);
    }
    expect(missing).toEqual([]);
  });
});
