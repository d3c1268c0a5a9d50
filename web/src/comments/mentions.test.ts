import { describe, expect, it } from 'vitest';
import { insertMention, mentionedIn, mentionQueryAt } from './mentions.ts';

describe('@mentions in comment text [C6]', () => {
  it('finds the @query being typed at the caret, not an email address', () => {
    expect(mentionQueryAt('hello @al', 9)).toEqual({ start: 6, query: 'al' });
    expect(mentionQueryAt('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionQueryAt('mail bob@example.com', 20)).toBeNull();
    expect(mentionQueryAt('hello @al done', 14)).toBeNull();
  });

  it('replaces the query with the chosen name and sends only the names still in the text', () => {
    const r = insertMention('ping @al please', { start: 5, query: 'al' }, 'Alice Smith');
    expect(r).toEqual({ text: 'ping @Alice Smith  please', caret: 18 });
    const chosen = new Map([
      ['u1', 'Alice Smith'],
      ['u2', 'Bob'],
    ]);
    expect(mentionedIn(r.text, chosen)).toEqual(['u1']);
  });
});
