import { describe, expect, it } from 'vitest';
import { peopleHere, peopleKey, presenceUserOf } from './presence.ts';

const ana = { id: 'u-ana', name: 'Ana', color: '#112233' };
const bo = { id: 'u-bo', name: 'Bo', color: '#445566' };

describe('peopleHere', () => {
  it('lists a person once however many tabs they have open', () => {
    const states = new Map<number, unknown>([
      [1, { user: bo }],
      [2, { user: ana, cursor: { anchor: 1 } }],
      [3, { user: bo, cursor: null }],
      [4, { user: bo }],
    ]);
    const people = peopleHere(states, 'u-ana');
    expect(people.map((p) => [p.name, p.tabs, p.self])).toEqual([
      ['Ana', 1, true],
      ['Bo', 3, false],
    ]);
  });

  it('puts you first, then others by name', () => {
    const states = new Map<number, unknown>([
      [1, { user: { id: 'u-zed', name: 'Zed', color: '#000000' } }],
      [2, { user: bo }],
      [3, { user: ana }],
    ]);
    expect(peopleHere(states, 'u-zed').map((p) => p.name)).toEqual(['Zed', 'Ana', 'Bo']);
  });

  it('ignores states without a usable user (fresh tabs, other apps, garbage)', () => {
    const states = new Map<number, unknown>([
      [1, {}],
      [2, null],
      [3, { user: { name: 'No id' } }],
      [4, { user: { id: 'u-x', name: '   ' } }],
      [5, { user: 'Ana' }],
      [6, { user: ana }],
    ]);
    expect(peopleHere(states, 'u-me').map((p) => p.name)).toEqual(['Ana']);
  });
});

describe('presenceUserOf', () => {
  it('trims names and replaces colours that are not #rrggbb', () => {
    const user = presenceUserOf({
      user: { id: 'u-1', name: `  ${'x'.repeat(300)} `, color: 'red; background:url(x)' },
    });
    expect(user?.name).toHaveLength(100);
    expect(user?.color).toMatch(/^#[0-9a-f]{6}$/);
  });
});

describe('peopleKey', () => {
  it('changes when someone joins or opens a tab, not when nothing did', () => {
    const one = peopleHere(new Map([[1, { user: ana }]]), 'u-ana');
    const same = peopleHere(new Map([[9, { user: ana, cursor: { anchor: 4 } }]]), 'u-ana');
    const two = peopleHere(
      new Map<number, unknown>([
        [1, { user: ana }],
        [2, { user: bo }],
      ]),
      'u-ana',
    );
    const twoTabs = peopleHere(
      new Map<number, unknown>([
        [1, { user: ana }],
        [2, { user: ana }],
      ]),
      'u-ana',
    );
    expect(peopleKey(one)).toBe(peopleKey(same));
    expect(peopleKey(one)).not.toBe(peopleKey(two));
    expect(peopleKey(one)).not.toBe(peopleKey(twoTabs));
  });
});
