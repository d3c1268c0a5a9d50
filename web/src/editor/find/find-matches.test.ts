import { describe, expect, it } from 'vitest';
import { countMatches, matchCountText } from './find-matches.ts';
import { isFindShortcut } from './find-slot.tsx';

const key = (k: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey', boolean>> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

describe('the find bar count [ED1.2]', () => {
  const matches = [
    { from: 1, to: 4 },
    { from: 10, to: 13 },
    { from: 20, to: 23 },
  ];

  it('says which match is selected among all of them', () => {
    expect(matchCountText('cat', countMatches(matches, { from: 10, to: 13 }))).toBe('2 of 3');
    expect(matchCountText('cat', countMatches(matches, { from: 20, to: 23 }))).toBe('3 of 3');
  });

  it('counts matches when none is selected, and says when there are none', () => {
    expect(matchCountText('cat', countMatches(matches, { from: 5, to: 5 }))).toBe('3 matches');
    expect(matchCountText('cat', countMatches(matches.slice(0, 1), { from: 5, to: 5 }))).toBe('1 match');
    expect(matchCountText('cat', countMatches([], { from: 5, to: 5 }))).toBe('No results');
    expect(matchCountText('', countMatches([], { from: 5, to: 5 }))).toBe('');
  });
});

describe('the find shortcut [ED1.1]', () => {
  it('is Ctrl+F or Cmd+F, either case, without Alt or Shift', () => {
    expect(isFindShortcut(key('f', { ctrlKey: true }))).toBe(true);
    expect(isFindShortcut(key('F', { metaKey: true }))).toBe(true);
    expect(isFindShortcut(key('f'))).toBe(false);
    expect(isFindShortcut(key('f', { ctrlKey: true, shiftKey: true }))).toBe(false);
    expect(isFindShortcut(key('f', { ctrlKey: true, altKey: true }))).toBe(false);
    expect(isFindShortcut(key('g', { ctrlKey: true }))).toBe(false);
  });
});
