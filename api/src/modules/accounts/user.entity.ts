import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { Role } from './role.js';

/** A platform account. Password hashes are scrypt with a per-user salt (see password.ts). */
@Entity({ tableName: 'users' })
export class User {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Property({ type: 'string', length: 64, unique: true })
  username!: string;

  @Property({ type: 'string', length: 255, hidden: true, lazy: true })
  passwordHash!: string;

  @Enum({ items: () => Role })
  role: Role = Role.TRADER;

  /** The day the membership started (a date, no time). */
  @Property({ type: 'date' })
  memberSince!: string;

  @Property({ type: 'boolean' })
  disabled = false;

  /** The account's FIX sessions cancel its open orders when they end (a Logon may override it, tag 8013). */
  @Property({ type: 'boolean' })
  cancelOnDisconnect = false;

  @Index()
  @Property({ type: 'datetime', length: 3 })
  createdAt: Date = new Date();
}
