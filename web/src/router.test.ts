import { describe, expect, it } from 'vitest';
import { matchRoute, pathOf } from './router.ts';

const W = '0190a8f4-9d1c-7c3e-8a5b-2f1e3d4c5b6a';

describe('matchRoute', () => {
  it('matches every screen of the app', () => {
    expect(matchRoute('/login')).toEqual({ name: 'login' });
    expect(matchRoute('/signup')).toEqual({ name: 'signup' });
    expect(matchRoute('/')).toEqual({ name: 'home' });
    expect(matchRoute('/trash')).toEqual({ name: 'trash' });
    expect(matchRoute('/settings')).toEqual({ name: 'settings' });
    expect(matchRoute(`/w/${W}`)).toEqual({ name: 'documents', workspaceId: W });
    expect(matchRoute(`/w/${W}/members`)).toEqual({ name: 'members', workspaceId: W });
    expect(matchRoute(`/d/${W}`)).toEqual({ name: 'editor', documentId: W });
  });

  it('treats a trailing slash as the same page and ids case-insensitively', () => {
    expect(matchRoute(`/w/${W}/`)).toEqual({ name: 'documents', workspaceId: W });
    expect(matchRoute(`/d/${W.toUpperCase()}`)).toEqual({ name: 'editor', documentId: W });
  });

  it('answers "not found" for unknown paths and ids that are not UUIDs', () => {
    for (const path of ['/nope', '/w/123', `/w/${W}/settings`, '/d/', `/d/${W}x`, '/login/extra', `//d/${W}`]) {
      expect(matchRoute(path), path).toEqual({ name: 'not-found' });
    }
  });

  it('round-trips through pathOf', () => {
    for (const path of [
      '/login',
      '/signup',
      '/forgot-password',
      '/reset-password',
      '/invite',
      '/',
      `/w/${W}`,
      `/w/${W}/members`,
      `/d/${W}`,
    ]) {
      expect(pathOf(matchRoute(path))).toBe(path);
    }
  });
});
