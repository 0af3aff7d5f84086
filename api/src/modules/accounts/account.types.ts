import { Field, ID, ObjectType } from 'type-graphql';
import { GraphQLLocalDate } from 'graphql-scalars';
import { Role } from './role.js';
import type { User } from './user.entity.js';
import { PageInfo } from '../../graphql/page-info.js';

@ObjectType('User', { description: 'A platform account.' })
export class UserGql {
  @Field(() => ID, { description: 'Account id.' })
  id!: string;

  @Field({ description: 'Unique login name.' })
  username!: string;

  @Field(() => Role, { description: 'What the account may do.' })
  role!: Role;

  @Field(() => GraphQLLocalDate, { description: 'The day the membership started (YYYY-MM-DD).' })
  memberSince!: string;

  @Field({ description: 'A disabled account cannot log in; its sessions were revoked.' })
  disabled!: boolean;

  @Field({ description: "When a FIX session of the account ends, its open orders are canceled (the Logon's tag 8013 overrides it per session)." })
  cancelOnDisconnect!: boolean;

  static from(u: User): UserGql {
    return Object.assign(new UserGql(), {
      id: String(u.id),
      username: u.username,
      role: u.role,
      memberSince: typeof u.memberSince === 'string' ? u.memberSince : new Date(u.memberSince).toISOString().slice(0, 10),
      disabled: u.disabled,
      cancelOnDisconnect: Boolean(u.cancelOnDisconnect),
    });
  }
}

@ObjectType({ description: 'A session token and the account it belongs to.' })
export class AuthPayload {
  @Field({ description: 'Bearer token: send as `Authorization: Bearer <token>`, or `authorization` in WebSocket connectionParams.' })
  token!: string;

  @Field({ description: 'When the token stops working.' })
  expiresAt!: Date;

  @Field(() => UserGql, { description: 'The logged-in account.' })
  user!: UserGql;
}

@ObjectType({ description: 'A page of users.' })
export class UserConnection {
  @Field(() => [UserGql], { description: 'The users on this page.' })
  nodes!: UserGql[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo!: PageInfo;
}
