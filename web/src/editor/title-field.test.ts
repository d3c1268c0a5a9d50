import { describe, expect, it } from 'vitest';
import { titleForField, titleFromField } from './title-field.tsx';

describe('the title field [issue 13]', () => {
  it('shows a new document\'s "Untitled" as an empty field (the placeholder), so typing replaces it', () => {
    expect(titleForField('Untitled')).toBe('');
    expect(titleForField('Q3 Launch Plan')).toBe('Q3 Launch Plan');
  });

  it('saves an emptied field as "Untitled" and trims what was typed', () => {
    expect(titleFromField('')).toBe('Untitled');
    expect(titleFromField('   ')).toBe('Untitled');
    expect(titleFromField(' Q3 Launch Plan ')).toBe('Q3 Launch Plan');
  });
});
