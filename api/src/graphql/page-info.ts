import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Cursor pagination: pass endCursor as `after` to get the next page.' })
export class PageInfo {
  @Field(() => String, { nullable: true, description: 'Cursor of the last item on this page.' })
  endCursor!: string | null;

  @Field({ description: 'Whether another page follows.' })
  hasNextPage!: boolean;
}

