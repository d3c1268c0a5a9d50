import { describe, expect, it } from 'vitest';
import { documentSnippet, matchesLexeme, snippet } from './snippets.ts';

describe('search snippets', () => {
  it('matches words by prefix, tolerating a stemmed last letter', () => {
    expect(matchesLexeme('Migration', ['migrat'])).toBe(true);
    expect(matchesLexeme('company', ['compani'])).toBe(true);
    expect(matchesLexeme('grate', ['migrat'])).toBe(false);
  });

  it('marks matches and keeps the text between them verbatim', () => {
    const s = snippet('We will migrate the billing database.', ['migrat', 'bill']);
    expect(s.map((x) => x.text).join('')).toBe('We will migrate the billing database');
    expect(s.filter((x) => x.match).map((x) => x.text)).toEqual(['migrate', 'billing']);
  });

  it('centres a long text on its first match, with ellipses', () => {
    const text = `${Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ')} needle ${'tail '.repeat(50)}`;
    const s = snippet(text, ['needl']);
    expect(s[0]?.text.startsWith('… ')).toBe(true);
    expect(s.some((x) => x.match && x.text === 'needle')).toBe(true);
    expect(s.at(-1)?.text.endsWith(' …')).toBe(true);
    const words =
      s
        .map((x) => x.text)
        .join('')
        .match(/[\p{L}\p{N}]+/gu) ?? [];
    expect(words.length).toBeLessThanOrEqual(30);
  });

  it('falls back to the title when the body does not match', () => {
    expect(documentSnippet('Migration runbook', 'nothing here', ['migrat'])).toEqual([
      { text: 'Migration', match: true },
      { text: ' runbook', match: false },
    ]);
  });

  it('never returns markup: text comes back as plain segments', () => {
    const s = documentSnippet('t', '<script>alert(1)</script> migrate', ['migrat']);
    expect(s.map((x) => x.text).join('')).toContain('</script>');
    expect(s.filter((x) => x.match)).toEqual([{ text: 'migrate', match: true }]);
  });
});
