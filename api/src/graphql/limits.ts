import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { getComplexity, type ComplexityEstimator, type ComplexityEstimatorArgs } from 'graphql-query-complexity';
import {
  getOperationAST,
  getVariableValues,
  isObjectType,
  validate,
  visit,
  type DocumentNode,
  type OperationDefinitionNode,
  type ValueNode,
} from 'graphql';
import { pageComplexity, QUERY_COST } from './args.js';
import type { Config } from '../config.js';

/**
 * A validation rule refusing operations nested deeper than `maxDepth` fields (fragments are
 * followed; cycles are refused by graphql-js's own rule). Introspection counts like any query.
 *
 * Linear in the document's size: each fragment's depth is computed once and reused wherever it
 * is spread. (Following spreads anew on every path costs 2^n for n fragments that each spread
 * the next one twice — a 1.5 kB request then blocks the server for hours.)
 */
export function depthLimit(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of context.getDocument().definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    /** Depth of each fragment's selection (values above maxDepth may be cut short: they fail either way). */
    const fragmentDepth = new Map<string, number>();
    const fragmentDepthOf = (name: string, path: Set<string>): number => {
      const known = fragmentDepth.get(name);
      if (known !== undefined) return known;
      const f = fragments.get(name);
      if (!f || path.has(name)) return 0;
      path.add(name);
      const d = depthOf(f.selectionSet, path);
      path.delete(name);
      fragmentDepth.set(name, d);
      return d;
    };
    const depthOf = (set: SelectionSetNode | undefined, path: Set<string>): number => {
      if (!set) return 0;
      let max = 0;
      for (const s of set.selections) {
        let d = 0;
        if (s.kind === Kind.FIELD) d = s.selectionSet ? 1 + depthOf(s.selectionSet, path) : 1;
        else if (s.kind === Kind.INLINE_FRAGMENT) d = depthOf(s.selectionSet, path);
        else d = fragmentDepthOf(s.name.value, path);
        if (d > max) max = d;
        if (max > maxDepth) return max;
      }
      return max;
    };
    return {
      OperationDefinition(node: OperationDefinitionNode) {
        const depth = depthOf(node.selectionSet, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`Query is nested ${depth} levels deep; the limit is ${maxDepth}.`, {
              nodes: [node],
              // The code Apollo gives every validation error over HTTP, so the WebSocket says the same.
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', reason: 'QUERY_TOO_DEEP' },
            }),
          );
        }
      },
    };
  };
}

/**
 * What a field costs, in units of about one field resolution (a microsecond or two of the event
 * loop): a field's own complexity function when it has one (a catalog search, a page), else a
 * page of `first` rows for a field taking `first`, else 1 plus its selection; a root field of a
 * query or mutation adds {@link QUERY_COST} (a database round trip).
 */
export function costEstimator(schema: GraphQLSchema): ComplexityEstimator {
  const roots = new Set([schema.getQueryType(), schema.getMutationType()].filter(Boolean));
  return (options: ComplexityEstimatorArgs): number => {
    const own = options.field.extensions?.complexity as number | ((o: ComplexityEstimatorArgs) => number) | undefined;
    const root = roots.has(options.type as never) ? QUERY_COST : 0;
    if (typeof own === 'function') return root + own(options);
    if (typeof own === 'number') return root + own + options.childComplexity;
    if (options.field.args.some((a) => a.name === 'first')) return root + pageComplexity(options as Parameters<typeof pageComplexity>[0]);
    return root + 1 + options.childComplexity;
  };
}

/**
 * The complexity of an operation (see {@link costEstimator}), so aliased and batched abuse is
 * priced by what it would cost. Operations whose variables do not coerce count 0: execution
 * refuses them with the coded coercion errors (BAD_USER_INPUT, HTTP 400) before resolving
 * anything. An operation that expands (through fragments) to more nodes than the estimator will
 * visit counts as `Infinity`: it is refused as too complex rather than failing the request.
 */
export function complexityOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown>,
  maxPageSize?: number,
): number {
  const operation = getOperationAST(document, operationName);
  if (operation && getVariableValues(schema, operation.variableDefinitions ?? [], variables).errors) return 0;
  try {
    return getComplexity({
      schema,
      query: document,
      operationName,
      variables,
      context: { maxPageSize },
      estimators: [costEstimator(schema)],
    });
  } catch (e) {
    // graphql-query-complexity stops after 10,000 nodes with a plain (uncoded) error.
    if (e instanceof Error && /maximum allowed number of nodes/.test(e.message)) return Number.POSITIVE_INFINITY;
    throw e;
  }
}

/**
 * Root fields of an operation: distinct response keys (alias or name) at its top level, with
 * fragments expanded (fields of one key merge into one execution, so they count once).
 * Undefined when the document names no such operation.
 */
export function rootFieldCount(document: DocumentNode, operationName: string | undefined): number | undefined {
  const operation = getOperationAST(document, operationName);
  if (!operation) return undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const keys = new Set<string>();
  const seen = new Set<string>();
  const collect = (set: SelectionSetNode) => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) keys.add(s.alias?.value ?? s.name.value);
      else if (s.kind === Kind.INLINE_FRAGMENT) collect(s.selectionSet);
      else if (!seen.has(s.name.value)) {
        seen.add(s.name.value);
        const f = fragments.get(s.name.value);
        if (f) collect(f.selectionSet);
      }
    }
  };
  collect(operation.selectionSet);
  return keys.size;
}

/** Field selections written in a document (aliases included, fragments counted where defined). */
export function fieldCount(document: DocumentNode): number {
  let n = 0;
  visit(document, {
    Field: () => {
      n++;
    },
  });
  return n;
}

/** What one GraphQL operation may cost (config: GRAPHQL_MAX_*, MAX_PAGE_SIZE). */
export interface OperationBudget {
  /** Deepest nesting accepted (the same check as {@link depthLimit}, made before the others). */
  readonly maxDepth: number;
  /**
   * Most field selections in one document. Checked right after parsing: graphql-js's validation
   * compares a selection set's fields pairwise, so a 60 kB document of aliases costs it ~0.3 s.
   */
  readonly maxFields: number;
  /** Largest complexity accepted ({@link costEstimator}). */
  readonly maxComplexity: number;
  /** Most root fields (aliases included) of a query or mutation. */
  readonly maxRootFields: number;
  /** Most root fields of a mutation (each a write: orders, logins, admin changes). */
  readonly maxMutations: number;
  /** Largest `first` (pages above it are refused by the resolver, and priced as one row). */
  readonly maxPageSize: number;
}

/** The budget the configuration sets. */
export const operationBudget = (c: Config): OperationBudget => ({
  maxDepth: c.GRAPHQL_MAX_DEPTH,
  maxFields: c.GRAPHQL_MAX_FIELDS,
  maxComplexity: c.GRAPHQL_MAX_COMPLEXITY,
  maxRootFields: c.GRAPHQL_MAX_ROOT_FIELDS,
  maxMutations: c.GRAPHQL_MAX_MUTATIONS,
  maxPageSize: c.MAX_PAGE_SIZE,
});

/** A refusal of an operation over its budget: BAD_USER_INPUT with one of these reasons, or the depth rule's own error. */
export interface BudgetRefusal {
  readonly code: 'BAD_USER_INPUT' | 'GRAPHQL_VALIDATION_FAILED';
  readonly reason: 'TOO_MANY_FIELDS' | 'TOO_MANY_ROOT_FIELDS' | 'TOO_MANY_MUTATIONS' | 'QUERY_TOO_COMPLEX' | 'QUERY_TOO_DEEP';
  readonly message: string;
}

/**
 * Checks operations against an {@link OperationBudget} before anything runs, the same on HTTP and
 * on the WebSocket: the document's shape right after parsing (cheap, and before the validation
 * it would make slow), then the priced complexity once the operation and variables are known.
 */
export class OperationLimits {
  private readonly gauge: ComplexityGauge;
  private readonly depthRule: ReturnType<typeof depthLimit>;
  private readonly shapes = new WeakMap<DocumentNode, Map<string, BudgetRefusal | null>>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly budget: OperationBudget,
  ) {
    this.gauge = new ComplexityGauge(schema, budget.maxPageSize);
    this.depthRule = depthLimit(budget.maxDepth);
  }

  /**
   * The refusal of a parsed document by its shape (depth, root fields, mutations, fields), before
   * it is validated: linear in its size. Undefined when it may go on to validation.
   */
  checkDocument(document: DocumentNode, operationName: string | undefined): BudgetRefusal | undefined {
    // Apollo and the WebSocket server reuse the parsed document of a repeated query: checked once.
    let byOperation = this.shapes.get(document);
    if (!byOperation) {
      byOperation = new Map();
      this.shapes.set(document, byOperation);
    }
    const key = operationName ?? '';
    if (byOperation.has(key)) return byOperation.get(key) ?? undefined;
    const refusal = this.shapeOf(document, operationName);
    byOperation.set(key, refusal ?? null);
    return refusal;
  }

  private shapeOf(document: DocumentNode, operationName: string | undefined): BudgetRefusal | undefined {
    const { maxFields, maxRootFields, maxMutations } = this.budget;
    // Depth first, with the validation rule's own error, so a deep document reads the same either way.
    const [deep] = validate(this.schema, document, [this.depthRule]);
    if (deep) return { code: 'GRAPHQL_VALIDATION_FAILED', reason: 'QUERY_TOO_DEEP', message: deep.message };
    const operation = getOperationAST(document, operationName);
    const roots = rootFieldCount(document, operationName) ?? 0;
    if (operation?.operation === 'mutation' && roots > maxMutations) {
      return { code: 'BAD_USER_INPUT', reason: 'TOO_MANY_MUTATIONS', message: `A request may carry at most ${maxMutations} mutations; this one has ${roots}.` };
    }
    if (roots > maxRootFields) {
      return { code: 'BAD_USER_INPUT', reason: 'TOO_MANY_ROOT_FIELDS', message: `An operation may have at most ${maxRootFields} root fields (aliases included); this one has ${roots}.` };
    }
    const fields = fieldCount(document);
    if (fields > maxFields) return { code: 'BAD_USER_INPUT', reason: 'TOO_MANY_FIELDS', message: `A document may select at most ${maxFields} fields; this one selects ${fields}.` };
    return undefined;
  }

  /** The priced complexity of an operation (cached per parsed document when its variables cannot change it). */
  priceOf(document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>): number {
    return this.gauge.of(document, operationName, variables);
  }

  /** The refusal of a validated operation over budget (its shape, then its priced complexity), or undefined when it may run. */
  check(document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>): BudgetRefusal | undefined {
    const shape = this.checkDocument(document, operationName);
    if (shape) return shape;
    const complexity = this.gauge.of(document, operationName, variables);
    const max = this.budget.maxComplexity;
    if (complexity > max) return { code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COMPLEX', message: `Query complexity ${complexity} is above the limit of ${max}.` };
    return undefined;
  }
}

/**
 * {@link complexityOf} with a cache: an operation whose price cannot change with its variables
 * (no variable in the arguments of a field that has its own complexity function, such as a
 * page's `first`) is priced once per parsed document. Apollo and the WebSocket server reuse the
 * parsed document of a repeated query string, so a client sending the same mutation with new
 * variables (every order) pays for the walk once.
 */
export class ComplexityGauge {
  /** Names of fields whose complexity is computed from their arguments (own function, or a page). */
  private readonly priced = new Set<string>();
  private readonly cache = new WeakMap<DocumentNode, { readonly variableFree: boolean; readonly byOperation: Map<string, number> }>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly maxPageSize?: number,
  ) {
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        if (field.extensions?.complexity !== undefined || field.args.some((a) => a.name === 'first')) this.priced.add(field.name);
      }
    }
  }

  of(document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>): number {
    let entry = this.cache.get(document);
    if (!entry) {
      entry = { variableFree: !this.pricedByVariables(document), byOperation: new Map() };
      this.cache.set(document, entry);
    }
    if (!entry.variableFree) return complexityOf(this.schema, document, operationName, variables, this.maxPageSize);
    const key = operationName ?? '';
    let c = entry.byOperation.get(key);
    if (c === undefined) {
      c = complexityOf(this.schema, document, operationName, variables, this.maxPageSize);
      // 0 means "variables did not coerce": not a property of the document, so not cached.
      if (c !== 0) entry.byOperation.set(key, c);
    }
    return c;
  }

  /**
   * True when a priced field (by name, whatever its parent type) takes a variable in any
   * argument, or a directive does (`@include(if: $x)` decides what is counted).
   */
  private pricedByVariables(document: DocumentNode): boolean {
    let found = false;
    const hasVariable = (v: ValueNode): boolean =>
      v.kind === Kind.VARIABLE || (v.kind === Kind.LIST && v.values.some(hasVariable)) || (v.kind === Kind.OBJECT && v.fields.some((f) => hasVariable(f.value)));
    visit(document, {
      Field: (node) => {
        if (!found && this.priced.has(node.name.value) && node.arguments?.some((a) => hasVariable(a.value))) found = true;
      },
      Directive: (node) => {
        if (!found && node.arguments?.some((a) => hasVariable(a.value))) found = true;
      },
    });
    return found;
  }
}
