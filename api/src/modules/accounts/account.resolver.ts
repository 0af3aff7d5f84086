import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { GraphQLLocalDate } from 'graphql-scalars';
import { AuthPayload, UserConnection, UserGql } from './account.types.js';
import { Role } from './role.js';
import { requireUser, type GqlContext } from '../../graphql/context.js';
import { badInput, forbidden, notFound } from '../../errors.js';
import { checkPageSize, parseId } from '../../graphql/args.js';
import { auditActorOf } from '../admin-audit/audit-log.resolver.js';

@Resolver()
export class AccountResolver {
  @Query(() => UserGql, { nullable: true, description: 'The logged-in account, or null when not logged in.' })
  async me(@Ctx() ctx: GqlContext): Promise<UserGql | null> {
    if (!ctx.user) return null;
    const u = await ctx.services.accounts.findUser(ctx.user.id);
    return u ? UserGql.from(u) : null;
  }

  @Authorized(Role.ADMIN, Role.SUPPORT)
  @Query(() => UserConnection, { description: 'All accounts, oldest first (admin and support only).' })
  async users(
    @Ctx() ctx: GqlContext,
    @Arg('first', () => Int, { nullable: true, description: 'Page size (default 50, at most the server limit).' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
  ): Promise<UserConnection> {
    const size = checkPageSize(first, ctx.services.config.MAX_PAGE_SIZE);
    const afterId = after ? parseId(after, 'after') : undefined;
    const { users, hasNextPage } = await ctx.services.accounts.listUsers(afterId, size);
    const nodes = users.map(UserGql.from);
    return { nodes, pageInfo: { hasNextPage, endCursor: nodes.at(-1)?.id ?? null } };
  }

  @Mutation(() => AuthPayload, { description: 'Creates a trader account and logs it in; sign-ups are rate-limited per address.' })
  async signUp(
    @Ctx() ctx: GqlContext,
    @Arg('username', { description: '3 to 32 letters, digits, dot, dash or underscore.' }) username: string,
    @Arg('password', { description: '8 to 128 characters; not a common password, not containing the username.' }) password: string,
  ): Promise<AuthPayload> {
    const s = await ctx.services.accounts.signUp(username, password, ctx.address);
    return { token: s.token, expiresAt: s.expiresAt, user: UserGql.from(s.user) };
  }

  @Mutation(() => AuthPayload, { description: 'Logs in; failures are rate-limited per account and address (one budget with FIX Logon).' })
  async login(
    @Ctx() ctx: GqlContext,
    @Arg('username', { description: 'Login name.' }) username: string,
    @Arg('password', { description: 'Password.' }) password: string,
  ): Promise<AuthPayload> {
    if (username.length > 64 || password.length > 1024) throw badInput('INVALID_CREDENTIALS_FORMAT', 'Username or password too long.');
    const s = await ctx.services.accounts.login(username, password, ctx.address);
    return { token: s.token, expiresAt: s.expiresAt, user: UserGql.from(s.user) };
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Revokes the current token at once (its WebSockets are closed too).' })
  async logout(@Ctx() ctx: GqlContext): Promise<boolean> {
    const u = requireUser(ctx);
    await ctx.services.accounts.logout(u.sessionId, u.id);
    return true;
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => UserGql, { description: "Changes an account's role; it applies to the account's very next request (admin only)." })
  async setUserRole(
    @Ctx() ctx: GqlContext,
    @Arg('userId', () => ID, { description: 'Account id.' }) userId: string,
    @Arg('role', () => Role, { description: 'The new role.' }) role: Role,
  ): Promise<UserGql> {
    return UserGql.from(await ctx.services.accounts.setRole(auditActorOf(ctx), parseId(userId, 'userId'), role));
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => UserGql, { description: 'Disables (revoking every session) or re-enables an account (admin only).' })
  async setUserDisabled(
    @Ctx() ctx: GqlContext,
    @Arg('userId', () => ID, { description: 'Account id.' }) userId: string,
    @Arg('disabled', { description: 'True to disable, false to enable.' }) disabled: boolean,
  ): Promise<UserGql> {
    const id = parseId(userId, 'userId');
    const user = await ctx.services.accounts.setDisabled(auditActorOf(ctx), id, disabled);
    // A disabled account's open orders are canceled through the order path (reason ACCOUNT_DISABLED).
    if (disabled) await ctx.services.killSwitch.accountDisabled(id);
    return UserGql.from(user);
  }

  @Authorized()
  @Mutation(() => UserGql, {
    description:
      "Sets whether the account's FIX sessions cancel its open orders when they end (cancel-on-disconnect; a Logon's tag 8013 overrides it per session). Your own account, or any for an admin.",
  })
  async setCancelOnDisconnect(
    @Ctx() ctx: GqlContext,
    @Arg('enabled', { description: 'True to cancel open orders when a FIX session ends.' }) enabled: boolean,
    @Arg('userId', () => ID, { nullable: true, description: 'Account id (admin only); your own when omitted.' }) userId?: string,
  ): Promise<UserGql> {
    const u = requireUser(ctx);
    const id = userId ? parseId(userId, 'userId') : u.id;
    if (id !== u.id && u.role !== Role.ADMIN) throw forbidden('Only an admin may change another account.');
    return UserGql.from(await ctx.services.accounts.setCancelOnDisconnect(auditActorOf(ctx), id, enabled));
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => UserGql, { description: "Sets an account's membership start date (admin only)." })
  async setUserMemberSince(
    @Ctx() ctx: GqlContext,
    @Arg('userId', () => ID, { description: 'Account id.' }) userId: string,
    @Arg('memberSince', () => GraphQLLocalDate, { description: 'The day the membership started (YYYY-MM-DD).' }) memberSince: string,
  ): Promise<UserGql> {
    const u = await ctx.services.accounts.setMemberSince(auditActorOf(ctx), parseId(userId, 'userId'), memberSince);
    if (!u) throw notFound('USER_NOT_FOUND', 'No such user.');
    return UserGql.from(u);
  }
}
