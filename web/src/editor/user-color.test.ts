import { describe, expect, it } from 'vitest';
import { colorForUserId, isHexColor } from './user-color.ts';

describe('colorForUserId', () => {
  it('gives the same #rrggbb colour for the same id every time', () => {
    const id = '0b9a3c1e-8f7d-4a59-9d7e-2f1c0a6b5e44';
    expect(colorForUserId(id)).toBe(colorForUserId(id));
    expect(isHexColor(colorForUserId(id))).toBe(true);
  });

  it('spreads different ids over many colours', () => {
    const colours = new Set<string>();
    for (let i = 0; i < 200; i++) colours.add(colorForUserId(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`));
    expect(colours.size).toBeGreaterThan(100);
  });

  it('keeps every colour dark enough for white label text', () => {
    for (let i = 0; i < 360; i++) {
      const hex = colorForUserId(`user-${i}`);
      const [r, g, b] = [1, 3, 5].map((at) => Number.parseInt(hex.slice(at, at + 2), 16) / 255) as [
        number,
        number,
        number,
      ];
      const linear = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      const luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
      // WCAG contrast against white: (1.05) / (L + 0.05); the labels are bold; 3.5:1 on every hue.
      expect(1.05 / (luminance + 0.05)).toBeGreaterThanOrEqual(3.5);
    }
  });
});

describe('isHexColor', () => {
  it('accepts only #rrggbb', () => {
    expect(isHexColor('#12abEF')).toBe(true);
    for (const bad of ['red', '#fff', '#12345g', 'url(x)', '#123456; background: red', 42, null]) {
      expect(isHexColor(bad)).toBe(false);
    }
  });
});
