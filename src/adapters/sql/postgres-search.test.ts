import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../app/search.ts';
import { lexemesOf, toTsquery } from './postgres-search.ts';

describe('PostgreSQL search queries', () => {
  it('reads lexemes from a tsquery', () => {
    expect(lexemesOf("'migrat':* & 'bill':*")).toEqual(['migrat', 'bill']);
    expect(lexemesOf("'o''brien':*")).toEqual(["o'brien"]);
  });

  it('builds tsquery text from words and phrases only, the last plain word a prefix', () => {
    expect(toTsquery(parseQuery('budget plan'))).toBe('budget & plan:*');
    expect(toTsquery(parseQuery('"quarterly review" budget'))).toBe('budget:* & (quarterly <-> review)');
    expect(toTsquery(parseQuery('budget "quarterly review"'))).toBe('budget & (quarterly <-> review)');
    expect(toTsquery(parseQuery("plan' & | ! ( ) :* <-> x"))).toBe('plan & x:*');
  });

  it('builds the body query with every word exact (the prefix is for titles only)', () => {
    expect(toTsquery(parseQuery('budget plan'), false)).toBe('budget & plan');
    expect(toTsquery(parseQuery('"quarterly review" budget'), false)).toBe('budget & (quarterly <-> review)');
  });
});
