import { describe, expect, it } from 'vitest';
import { Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode, type FieldNode } from 'graphql';
import { selects } from './selection.js';

/** The resolve info of the first root field of `query`. */
function infoOf(query: string) {
  const doc = parse(query);
  const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(
    doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
  );
  return { fieldNodes: [op.selectionSet.selections[0] as FieldNode], fragments };
}

describe('selects', () => {
  it.each([
    ['{ products { nodes { symbol } totalCount } }', true],
    ['{ products { nodes { symbol } } }', false],
    ['{ products { nodes { totalCount: symbol } } }', false],
    ['{ products { ...P } } fragment P on ProductConnection { ...Q } fragment Q on ProductConnection { totalCount }', true],
    ['{ products { ... on ProductConnection { totalCount } } }', true],
    ['{ products { ...P } } fragment P on ProductConnection { ...P nodes { symbol } }', false],
  ])('%s → %s', (query, expected) => {
    expect(selects(infoOf(query), 'totalCount')).toBe(expected);
  });
});
