import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, Info, Int, Mutation, Query, Resolver } from 'type-graphql';
import { selects } from '../../graphql/selection.js';
import { CreateProductInput, ProductConnection, ProductGql, UpdateProductInput } from './product.types.js';
import { ProductType, TradingStatus } from './product-model.js';
import { Role } from '../accounts/role.js';
import type { GqlContext } from '../../graphql/context.js';
import { checkPageSize } from '../../graphql/args.js';
import { searchComplexity } from './product-search.js';
import { notFound } from '../../errors.js';
import { auditActorOf } from '../admin-audit/audit-log.resolver.js';

@Resolver()
export class ProductResolver {
  @Query(() => ProductConnection, {
    description:
      'Searches the catalog by symbol prefix or words of the name. Without a query: every product, by symbol. With one: exact symbol first, then symbol prefixes, then names starting with the first word, then other names (home listings before suffixed ones, then by symbol).',
    complexity: searchComplexity,
  })
  async products(
    @Ctx() ctx: GqlContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('query', () => String, {
        nullable: true,
        description: 'Symbol prefix, or words that must all appear in the name (case-insensitive). Names are searched when a word has 3+ characters; shorter text matches symbols only.',
      }) query?: string,
    @Arg('type', () => ProductType, { nullable: true, description: 'Only this kind of product.' }) type?: ProductType,
    @Arg('first', () => Int, { nullable: true, description: 'Page size (default 50, at most the server limit).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
  ): Promise<ProductConnection> {
    const size = checkPageSize(first, ctx.services.config.MAX_PAGE_SIZE);
    const withTotal = selects(info, 'totalCount');
    const { products, hasNextPage, total } = await ctx.services.products.search({ query, type, first: size, after, withTotal });
    const nodes = products.map((p) => ProductGql.from(p, ctx.services.marketData.quote(p)));
    return { nodes, pageInfo: { hasNextPage, endCursor: nodes.at(-1)?.symbol ?? null }, totalCount: total ?? 0 };
  }

  @Query(() => ProductGql, { nullable: true, description: 'One product with its quote, or null when unknown.' })
  async product(@Ctx() ctx: GqlContext, @Arg('symbol', { description: 'Product symbol.' }) symbol: string): Promise<ProductGql | null> {
    const p = await ctx.services.products.get(symbol);
    return p ? ProductGql.from(p, ctx.services.marketData.quote(p)) : null;
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => ProductGql, { description: 'Adds a product (admin only).' })
  async createProduct(@Ctx() ctx: GqlContext, @Arg('input', { description: 'The product.' }) input: CreateProductInput): Promise<ProductGql> {
    const p = await ctx.services.products.create({ ...input, refPrice: input.referencePrice }, auditActorOf(ctx));
    return ProductGql.from(p, ctx.services.marketData.quote(p));
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => ProductGql, { description: 'Changes a product (admin only).' })
  async updateProduct(
    @Ctx() ctx: GqlContext,
    @Arg('symbol', { description: 'Product symbol.' }) symbol: string,
    @Arg('input', { description: 'The changes.' }) input: UpdateProductInput,
  ): Promise<ProductGql> {
    const p = await ctx.services.products.update(symbol, { name: input.name, type: input.type, refPrice: input.referencePrice }, auditActorOf(ctx));
    return ProductGql.from(p, ctx.services.marketData.quote(p));
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => ProductGql, { description: 'Halts trading: new orders and amends are refused, cancels still work (admin only).' })
  async haltTrading(@Ctx() ctx: GqlContext, @Arg('symbol', { description: 'Product symbol.' }) symbol: string): Promise<ProductGql> {
    return this.setStatus(ctx, symbol, TradingStatus.HALTED);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => ProductGql, { description: 'Resumes trading (admin only).' })
  async resumeTrading(@Ctx() ctx: GqlContext, @Arg('symbol', { description: 'Product symbol.' }) symbol: string): Promise<ProductGql> {
    return this.setStatus(ctx, symbol, TradingStatus.TRADING);
  }

  private async setStatus(ctx: GqlContext, symbol: string, status: TradingStatus): Promise<ProductGql> {
    const p = await ctx.services.products.setStatus(symbol, status, auditActorOf(ctx));
    if (!p) throw notFound('UNKNOWN_SYMBOL', `No product ${symbol}.`);
    return ProductGql.from(p, ctx.services.marketData.quote(p));
  }
}
