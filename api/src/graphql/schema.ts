import { buildSchema } from 'type-graphql';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import type { ClassType, NonEmptyArray, PubSub } from 'type-graphql';
import './enums.js';
import { authChecker } from './auth-checker.js';
import { AccountResolver } from '../modules/accounts/account.resolver.js';
import { ProductResolver } from '../modules/products/product.resolver.js';
import { TradingSessionResolver } from '../modules/products/trading-session.resolver.js';
import { OrderResolver } from '../modules/orders/order.resolver.js';
import { RealtimeResolver } from '../modules/realtime/realtime.resolver.js';
import { FixResolver } from '../modules/fix/fix.resolver.js';
import { RiskResolver } from '../modules/risk/risk.resolver.js';
import { KillSwitchResolver } from '../modules/orders/kill-switch.resolver.js';
import { AuditLogResolver } from '../modules/admin-audit/audit-log.resolver.js';
import { PortfolioResolver } from '../modules/orders/portfolio.resolver.js';
import { CandleResolver } from '../modules/market-data/candle.resolver.js';

/** Every resolver class of the API. */
export const resolvers = [AccountResolver, ProductResolver, TradingSessionResolver, OrderResolver, RealtimeResolver, FixResolver, RiskResolver, KillSwitchResolver, AuditLogResolver, PortfolioResolver, CandleResolver] as const;

/**
 * Every subscription supplies its own `subscribe` (streams over the services' bus), so the
 * type-graphql topic PubSub must never be used: this one says so if it ever is.
 */
const noTopicPubSub: PubSub = {
  publish: () => {
    throw new Error('type-graphql topics are not used: publish on services.bus');
  },
  subscribe: () => {
    throw new Error('type-graphql topics are not used: subscriptions define subscribe()');
  },
};

/** Builds the executable schema. */
export async function createSchema(): Promise<GraphQLSchema> {
  const pubSub = noTopicPubSub;
  const schema = await buildSchema({
    resolvers: [...resolvers] as NonEmptyArray<ClassType>,
    authChecker,
    validate: false,
    scalarsMap: [{ type: Date, scalar: GraphQLDateTimeISO }],
    pubSub,
    emitSchemaFile: false,
  });
  // type-graphql has no option for the root types' descriptions.
  const roots = [
    [schema.getQueryType(), 'Reads: catalog, quotes, books, orders, holdings, accounts.'],
    [schema.getMutationType(), 'Changes: accounts and sessions, orders, products.'],
    [schema.getSubscriptionType(), 'Live updates over graphql-ws on the same /graphql path.'],
  ] as const;
  for (const [type, description] of roots) if (type) type.description = description;
  return schema;
}

/** The schema as committed in schema/schema.graphql (sorted, so diffs are stable). */
export function printSortedSchema(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema)) + '\n';
}
