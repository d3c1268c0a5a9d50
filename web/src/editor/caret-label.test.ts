import { describe, expect, it } from 'vitest';
import { placeLabel } from './caret-label.ts';

// An editor box from x = 12 to x = 363 (a 375 px phone with the page's padding).
const LEFT = 12;
const RIGHT = 363;

describe('placeLabel', () => {
  it('hangs the label to the right of the caret when it fits', () => {
    expect(placeLabel(100, 60, LEFT, RIGHT)).toEqual({ side: 'right', shiftPx: 0 });
    expect(placeLabel(303, 60, LEFT, RIGHT)).toEqual({ side: 'right', shiftPx: 0 });
  });

  it('flips it to the left of a caret near the right edge instead of cutting it off', () => {
    expect(placeLabel(340, 60, LEFT, RIGHT)).toEqual({ side: 'left', shiftPx: 0 });
    expect(placeLabel(RIGHT, 60, LEFT, RIGHT)).toEqual({ side: 'left', shiftPx: 0 });
  });

  it('pulls a label too wide for either side in until it starts at the left edge', () => {
    // Flipped it would span 0..200, 12 px past the left edge.
    expect(placeLabel(200, 200, LEFT, RIGHT)).toEqual({ side: 'left', shiftPx: 12 });
    // Never so far that its right end passes the right edge.
    expect(placeLabel(355, 400, LEFT, RIGHT)).toEqual({ side: 'left', shiftPx: 8 });
  });
});
