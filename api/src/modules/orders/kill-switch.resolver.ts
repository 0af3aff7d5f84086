import { Arg, Authorized, Ctx, ID, Int, Mutation, Resolver } from 'type-graphql';
import { Role } from '../accounts/role.js';
import { parseId } from '../../graphql/args.js';
import { requireUser, type GqlContext } from '../../graphql/context.js';
import { forbidden } from '../../errors.js';
import { auditActorOf } from '../admin-audit/audit-log.resolver.js';

@Resolver()
export class KillSwitchResolver {
  @Authorized()
  @Mutation(() => Int, {
    description:
      "Cancels every open order of an account, or of one product: your own, or any account's for an admin. Each order is canceled like cancelOrder (execution reports with reason MASS_CANCEL, over GraphQL and FIX). Returns how many were canceled.",
  })
  async cancelAllOrders(
    @Ctx() ctx: GqlContext,
    @Arg('symbol', () => String, { nullable: true, description: 'Only orders of this product; all products when omitted.' }) symbol?: string,
    @Arg('accountId', () => ID, { nullable: true, description: 'The account (admin only); your own when omitted.' }) accountId?: string,
  ): Promise<number> {
    const u = requireUser(ctx);
    const id = accountId ? parseId(accountId, 'accountId') : u.id;
    const admin = u.role === Role.ADMIN;
    if (id !== u.id && !admin) throw forbidden("Only an admin may cancel another account's orders.");
    const result = await ctx.services.killSwitch.cancelAll({ accountId: id, symbol }, 'MASS_CANCEL', 'graphql', admin ? auditActorOf(ctx) : undefined);
    return result.canceled;
  }
}
