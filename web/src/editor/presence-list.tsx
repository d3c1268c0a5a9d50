/**
 * Who is here (one chip per person, their tabs folded together) and the room's size and tier from
 * the server's ROOM_STATUS. Awareness changes on every remote cursor move; the list re-renders
 * only when the people in it change.
 */
import { useEffect, useState } from 'preact/hooks';
import type { SyncStatus } from '../../../src/client/sync-client.ts';
import type { RoomStatus } from '../../../src/sync/protocol.ts';
import { initials } from '../initials.ts';
import { roomSummary } from './access-messages.ts';
import type { CollabSession } from './collab-session.ts';
import { type Person, peopleHere, peopleKey } from './presence.ts';

const MAX_CHIPS = 8;

function Chip({ person }: { person: Person }) {
  return (
    <li
      class={person.self ? 'ed-person ed-person--self' : 'ed-person'}
      title={
        person.self ? `${person.name} (you)` : person.tabs > 1 ? `${person.name} (${person.tabs} tabs)` : person.name
      }
    >
      {/* Initials come from a data attribute through CSS, so the item's text is exactly the name. */}
      <span
        class="ed-person__dot"
        aria-hidden="true"
        data-initials={initials(person.name)}
        style={{ '--person-color': person.color }}
      />
      <span class="ed-person__name">{person.name}</span>
    </li>
  );
}

export function PresenceList({ session, selfUserId }: { session: CollabSession; selfUserId: string }) {
  const [people, setPeople] = useState<Person[]>([]);
  const [room, setRoom] = useState<RoomStatus | undefined>(undefined);

  useEffect(() => {
    const { awareness } = session;
    let key = '';
    const refresh = () => {
      const next = peopleHere(awareness.getStates(), selfUserId);
      const nextKey = peopleKey(next);
      if (nextKey === key) return;
      key = nextKey;
      setPeople(next);
    };
    // Counts from a connection that ended are stale: show none until the next ROOM_STATUS.
    const onStatus = (status: SyncStatus) => {
      if (status.connection !== 'connected') setRoom(undefined);
    };
    refresh();
    awareness.on('change', refresh);
    session.on('room-status', setRoom);
    session.on('status', onStatus);
    return () => {
      awareness.off('change', refresh);
      session.off('room-status', setRoom);
      session.off('status', onStatus);
    };
  }, [session, selfUserId]);

  const summary = roomSummary(room);
  const shown = people.slice(0, MAX_CHIPS);
  const more = people.length - shown.length;
  return (
    <section class="ed-presence" data-testid="presence" aria-label="People here">
      <ul class="ed-presence__list">
        {shown.map((p) => (
          <Chip key={p.id} person={p} />
        ))}
      </ul>
      {more > 0 && <span class="ed-presence__more">+{more} more</span>}
      {summary && (
        <span class="ed-presence__room" data-testid="room-status">
          {summary}
        </span>
      )}
    </section>
  );
}
