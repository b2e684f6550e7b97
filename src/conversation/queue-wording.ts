/** What the customer is told about the queue: their place and the typical wait, when agents are back, or who has them. */
import type { Key, Params } from '../flows/step.ts';
import { applyHandoff } from './handoff.ts';
import { CANCEL_HANDOFF, type Locale, type Outbound } from './messages.ts';
import type { Turn } from './turn.ts';

const CANCEL_OPTION = [{ id: CANCEL_HANDOFF, label: 'common:handoff.cancel' }];

/** A message shown while waiting for a person, with the "back to the assistant" button. */
export const withCancel = (key: Key, params?: Params): Outbound => ({ type: 'choices', key, ...(params ? { params } : {}), options: CANCEL_OPTION });

/**
 * Tell the customer where they stand: queued (place, typical wait), outside hours (when agents are
 * back), or with an agent. Needs the queue's outlook from the edge (`Need` outlook) when queued.
 */
export function announce(t: Turn): void {
  const news = t.handoffNews;
  const h = t.state.handoff;
  if (!news || !h) return;
  if (news === 'requested') t.out.push({ type: 'handoff', key: `common:handoff.requested.${h.reason}`, reason: h.reason });
  if (h.status === 'assigned') {
    t.say('common:handoff.with-agent', { name: h.agent?.name ?? '' });
    return;
  }
  const o = t.input.outlook;
  if (o === undefined) return t.need({ type: 'outlook', ...(t.state.country ? { country: t.state.country } : {}), since: h.at });
  if (o === null) {
    // The queue could not be read: they are queued all the same, only without a place.
    t.out.push(withCancel('common:handoff.queued-unknown'));
    return;
  }
  if (!o.open) {
    if (news === 'requested') applyHandoff(t, { type: 'hours.closed' });
    t.out.push(
      o.reopensAt === undefined
        ? withCancel('common:handoff.closed-unknown')
        : withCancel('common:handoff.closed', { when: formatWhen(o.reopensAt, t.state.locale, o.timeZone) }),
    );
    return;
  }
  const position = o.ahead + 1;
  t.out.push(
    o.typicalWaitMs === undefined
      ? withCancel('common:handoff.queued', { position })
      : withCancel('common:handoff.queued-estimate', { position, minutes: Math.max(1, Math.round(o.typicalWaitMs / 60_000)) }),
  );
}

const whenFormats = new Map<string, Intl.DateTimeFormat>();

/** "lunes, 09:00 (GMT-3)": when agents are back, in the customer's language and the hours' time zone. */
function formatWhen(at: number, locale: Locale, timeZone = 'UTC'): string {
  // One formatter per language and zone: building one costs far more than using it.
  const id = `${locale} ${timeZone}`;
  let format = whenFormats.get(id);
  if (!format) {
    format = new Intl.DateTimeFormat(locale === 'es' ? 'es-CL' : 'en-US', {
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      hour: '2-digit',
      minute: '2-digit',
      timeZone,
      timeZoneName: 'short',
    });
    whenFormats.set(id, format);
  }
  return format.format(at);
}
