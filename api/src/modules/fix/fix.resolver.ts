import { Arg, Authorized, Ctx, Field, ID, Mutation, ObjectType, Resolver } from 'type-graphql';
import { Role } from '../accounts/role.js';
import type { GqlContext } from '../../graphql/context.js';
import { parseId } from '../../graphql/args.js';
import { FixCompIds, type CompIdBinding } from './fix-comp-ids.js';
import { auditActorOf } from '../admin-audit/audit-log.resolver.js';

@ObjectType('FixCompId', { description: "A FIX SenderCompID (49) and the account it belongs to." })
export class FixCompIdGql {
  @Field({ description: 'The counterparty CompID: SenderCompID (49) on its messages.' })
  compId!: string;

  @Field(() => ID, { description: 'The account that may log on with it.' })
  userId!: string;

  @Field({ description: 'A FIX session of this CompID is logged on.' })
  active!: boolean;

  static from(b: CompIdBinding): FixCompIdGql {
    return Object.assign(new FixCompIdGql(), { compId: b.compId, userId: String(b.accountId), active: b.active });
  }
}

const compIds = (ctx: GqlContext) => new FixCompIds(ctx.services.knex, ctx.services.config.FIX_SENDER_COMP_ID);

@Resolver()
export class FixResolver {
  @Authorized(Role.ADMIN)
  @Mutation(() => FixCompIdGql, {
    description: 'Binds a FIX SenderCompID to an account before its first logon (admin only). COMP_ID_TAKEN when another account has it.',
  })
  async bindFixCompId(
    @Ctx() ctx: GqlContext,
    @Arg('compId', { description: 'SenderCompID (49): 1 to 64 printable ASCII characters.' }) compId: string,
    @Arg('userId', () => ID, { description: 'Account id.' }) userId: string,
  ): Promise<FixCompIdGql> {
    return FixCompIdGql.from(await compIds(ctx).bind(compId, parseId(userId, 'userId'), auditActorOf(ctx)));
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => FixCompIdGql, {
    description:
      'Releases a FIX SenderCompID from its account and forgets its sequence numbers (admin only). FIX_SESSION_ACTIVE while it is logged on.',
  })
  async releaseFixCompId(
    @Ctx() ctx: GqlContext,
    @Arg('compId', { description: 'SenderCompID (49).' }) compId: string,
  ): Promise<FixCompIdGql> {
    return FixCompIdGql.from(await compIds(ctx).release(compId, auditActorOf(ctx)));
  }
}
