import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { formatTime, type SessionState, type TradingHours } from './trading-schedule.js';

@ObjectType('TradingSession', { description: "A product's trading hours and where its session stands now." })
export class TradingSessionGql {
  @Field({ description: 'True while the product takes new orders and amends: always when the server runs with TRADING_HOURS=always-open.' })
  open!: boolean;

  @Field({ description: 'False when the server runs with TRADING_HOURS=always-open: no hours apply, nothing expires.' })
  enforced!: boolean;

  @Field({ description: 'IANA time zone of the hours, e.g. America/New_York.' })
  timeZone!: string;

  @Field({ description: 'Local opening time, HH:MM (inclusive).' })
  opens!: string;

  @Field({ description: 'Local closing time, HH:MM (exclusive): resting DAY orders expire then.' })
  closes!: string;

  @Field(() => [Int], { description: 'ISO weekdays of the session, 1 = Monday … 7 = Sunday.' })
  days!: number[];

  @Field({ description: 'True when an admin set these hours; false: the default of the listing suffix.' })
  custom!: boolean;

  @Field(() => Date, { nullable: true, description: 'Next opening (when open: of the next session); null when not enforced.' })
  nextOpen!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Close of the current session when open, else of the next; null when not enforced.' })
  nextClose!: Date | null;

  static from(hours: TradingHours, custom: boolean, state: SessionState | undefined): TradingSessionGql {
    return Object.assign(new TradingSessionGql(), {
      open: state?.open ?? true,
      enforced: state !== undefined,
      timeZone: hours.timeZone,
      opens: formatTime(hours.open),
      closes: formatTime(hours.close),
      days: [...hours.days],
      custom,
      nextOpen: state ? new Date(state.nextOpen) : null,
      nextClose: state ? new Date(state.nextClose) : null,
    });
  }
}

@InputType({ description: 'Trading hours of a product, in its own time zone.' })
export class TradingHoursInput {
  @Field({ description: 'IANA time zone, e.g. Europe/London.' })
  timeZone!: string;

  @Field({ description: 'Opening time, HH:MM (24-hour).' })
  opens!: string;

  @Field({ description: 'Closing time, HH:MM, after the opening on the same day.' })
  closes!: string;

  @Field(() => [Int], { nullable: true, description: 'ISO weekdays, 1 = Monday … 7 = Sunday; default Monday to Friday.' })
  days?: number[] | null;
}
