import { MsgTag, MsgType, type FixDefinitions, type MsgView } from 'jspurefix';
import { SegmentType } from 'jspurefix/dist/buffer/segment/segment-type.js';
import { SessionRejectReason } from 'jspurefix/dist/types/FIX4.4/quickfix/enum/all-enum.js';
import type { SessionProblem } from './order-mapping.js';
import { TAG_CANCEL_ON_DISCONNECT } from './fix-codes.js';

/**
 * Tags accepted on a message although the FIX 4.4 dictionary does not list them there: Text (58)
 * on a Logon, which many engines send (it is ignored), and CancelOrdersOnDisconnect (8013).
 */
const TOLERATED: Readonly<Record<string, ReadonlySet<number>>> = {
  [MsgType.Logon]: new Set([MsgTag.Text, TAG_CANCEL_ON_DISCONNECT]),
};

const problem = (refTagId: number, reason: SessionRejectReason, text: string): SessionProblem => ({ kind: 'session', refTagId, reason, text });

/** The tags of a view, in order (jspurefix's parsed locations). */
function tagsOf(view: MsgView): number[] {
  const tags = view.structure?.tags;
  if (!tags) return [];
  const out: number[] = [];
  for (let i = 0; i < tags.nextTagPos; i++) out.push(tags.tagPos[i]!.tag);
  return out;
}

/**
 * Checks a message against the FIX 4.4 dictionary before it is processed: a known MsgType, tag
 * numbers that exist (SessionRejectReason 0), tags that belong to the message (2), every
 * required tag present (1). Undefined when the message is well-formed; else the session Reject
 * to send, with RefTagID (371) naming the tag. Field values are checked where they are read.
 */
export function messageProblem(msgType: string, view: MsgView, defs: FixDefinitions): SessionProblem | undefined {
  if (view.segment.type === SegmentType.Unknown || !defs.message.get(msgType)) {
    return problem(MsgTag.MsgType, SessionRejectReason.InvalidMsgtype, `MsgType ${msgType} is not a FIX 4.4 message type.`);
  }
  const set = view.segment.set;
  const tolerated = TOLERATED[msgType];
  if (set) {
    for (const tag of tagsOf(view)) {
      if (set.containedTag[tag] || tolerated?.has(tag)) continue;
      if (!(tag > 0) || !defs.tagToSimple[tag]) return problem(tag, SessionRejectReason.InvalidTagNumber, `Tag ${tag} is not a FIX 4.4 tag.`);
      return problem(tag, SessionRejectReason.TagNotDefinedForThisMessageType, `Tag ${tag} is not defined for MsgType ${msgType}.`);
    }
  }
  const undefinedTags = view.getUndefined();
  const stray = Array.isArray(undefinedTags) ? undefinedTags[0] : undefinedTags;
  if (stray && !tolerated?.has(stray.startTag)) {
    return problem(stray.startTag, SessionRejectReason.TagNotDefinedForThisMessageType, `Tag ${stray.startTag} is not defined for MsgType ${msgType}.`);
  }
  const missing = view.missing();
  if (missing.length > 0) {
    const names = missing.map((t) => `${defs.tagToSimple[t]?.name ?? 'tag'} (${t})`).join(', ');
    return problem(missing[0]!, SessionRejectReason.RequiredTagMissing, `Required tag missing: ${names}.`);
  }
  return undefined;
}
