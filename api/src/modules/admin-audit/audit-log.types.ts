import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../../graphql/page-info.js';
import { enumOf } from '../../graphql/enums.js';
import { AUDIT_ACTIONS, type AuditAction, type AuditRecord } from './audit-log.js';

/** The GraphQL enum of audit actions, built from {@link AUDIT_ACTIONS}. */
export const AuditActionEnum = enumOf(AUDIT_ACTIONS);
registerEnumType(AuditActionEnum, {
  name: 'AuditAction',
  description: 'What an audit-trail entry records.',
  valuesConfig: {
    LOGIN: { description: 'A login attempt (GraphQL login or FIX Logon); the outcome says whether it succeeded.' },
    SET_ROLE: { description: "An account's role changed (details: role)." },
    DISABLE_ACCOUNT: { description: 'An account was disabled (its sessions revoked, its open orders canceled).' },
    ENABLE_ACCOUNT: { description: 'An account was enabled again.' },
    SET_MEMBER_SINCE: { description: "An account's membership date changed." },
    HALT: { description: 'Trading in a product was halted.' },
    RESUME: { description: 'Trading in a product resumed.' },
    CREATE_PRODUCT: { description: 'A product was added.' },
    UPDATE_PRODUCT: { description: 'A product was changed (details: the new values).' },
    SET_LIMITS: { description: 'Risk limits were changed.' },
    CANCEL_ALL: { description: "An admin canceled an account's open orders (details: scope and how many)." },
    SET_CANCEL_ON_DISCONNECT: { description: "An admin changed another account's cancel-on-disconnect setting." },
    BIND_FIX_COMP_ID: { description: 'A FIX SenderCompID was bound to an account.' },
    RELEASE_FIX_COMP_ID: { description: 'A FIX SenderCompID was released.' },
  },
});

@ObjectType('AuditEntry', { description: 'One entry of the audit trail: an admin action or a login attempt.' })
export class AuditEntryGql {
  @Field(() => ID, { description: 'Entry id (increasing).' })
  id!: string;

  @Field({ description: 'When it happened.' })
  at!: Date;

  @Field(() => ID, { nullable: true, description: 'The acting account; null for a login with an unknown username.' })
  actorId!: string | null;

  @Field({ description: "The acting account's username (for a login, the username given)." })
  actor!: string;

  @Field(() => String, { nullable: true, description: "The client's address." })
  address!: string | null;

  @Field(() => AuditActionEnum, { description: 'What was done.' })
  action!: AuditAction;

  @Field(() => String, { nullable: true, description: 'What it was done to: an account id, a symbol or a CompID.' })
  target!: string | null;

  @Field(() => String, { nullable: true, description: 'The values set or the scope, as JSON.' })
  details!: string | null;

  @Field({ description: 'OK, or why a login was refused (BAD_CREDENTIALS, ACCOUNT_DISABLED).' })
  outcome!: string;

  static from(r: AuditRecord): AuditEntryGql {
    return Object.assign(new AuditEntryGql(), {
      id: String(r.id),
      at: r.at,
      actorId: r.actorId === null ? null : String(r.actorId),
      actor: r.actor,
      address: r.address,
      action: r.action,
      target: r.target,
      details: r.details,
      outcome: r.outcome,
    });
  }
}

@ObjectType({ description: 'A page of the audit trail, newest first.' })
export class AuditConnection {
  @Field(() => [AuditEntryGql], { description: 'Entries on this page.' })
  nodes!: AuditEntryGql[];

  @Field(() => PageInfo, { description: 'Where this page ends.' })
  pageInfo!: PageInfo;
}

