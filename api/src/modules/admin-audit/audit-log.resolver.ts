import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { Role } from '../accounts/role.js';
import { checkPageSize, pageComplexity, parseId } from '../../graphql/args.js';
import { requireUser, type GqlContext } from '../../graphql/context.js';
import { AuditLog, type AuditAction, type AuditActor } from './audit-log.js';
import { AuditActionEnum, AuditConnection, AuditEntryGql } from './audit-log.types.js';

/** The acting user of a request, as the audit trail records them. */
export function auditActorOf(ctx: GqlContext): AuditActor {
  const u = requireUser(ctx);
  return { id: u.id, username: u.username, address: ctx.address };
}

@Resolver()
export class AuditLogResolver {
  @Authorized(Role.ADMIN)
  @Query(() => AuditConnection, { description: 'The audit trail, newest first: admin actions and login attempts (admin only).', complexity: pageComplexity })
  async auditLog(
    @Ctx() ctx: GqlContext,
    @Arg('actorId', () => ID, { nullable: true, description: 'Only entries of this account.' }) actorId?: string,
    @Arg('actor', () => String, { nullable: true, description: 'Only entries of this username (case-insensitive).' }) actor?: string,
    @Arg('actions', () => [AuditActionEnum], { nullable: true, description: 'Only these actions.' }) actions?: AuditAction[],
    @Arg('since', () => Date, { nullable: true, description: 'Only entries at or after this time.' }) since?: Date,
    @Arg('until', () => Date, { nullable: true, description: 'Only entries before this time.' }) until?: Date,
    @Arg('first', () => Int, { nullable: true, description: 'Page size (default 50, at most the server limit).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
  ): Promise<AuditConnection> {
    const size = checkPageSize(first, ctx.services.config.MAX_PAGE_SIZE);
    const page = await new AuditLog(ctx.services.knex).list(
      { actorId: actorId ? parseId(actorId, 'actorId') : undefined, actor: actor ?? undefined, actions, since, until },
      size,
      after,
    );
    return { nodes: page.items.map(AuditEntryGql.from), pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
  }
}
