/** The signed-in user's workspaces, loaded once per session and refreshed after changes. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { ApiClient, User } from './api.ts';
import { plainError } from './form-errors.ts';
import type { Items, Workspace } from './model.ts';

export type WorkspacesState = {
  workspaces: Workspace[] | null;
  error: string | null;
  reload: () => Promise<Workspace[]>;
  create: (name: string) => Promise<Workspace>;
};

export function useWorkspaces(api: ApiClient, user: User | null): WorkspacesState {
  const [workspaces, setWorkspaces] = useState<Workspace[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(async () => {
    const { items } = await api.request<Items<Workspace>>('GET', '/workspaces');
    // The API's order (oldest first): "/" opens the first, as the routing contract says.
    setWorkspaces(items);
    setError(null);
    return items;
  }, [api]);

  useEffect(() => {
    setWorkspaces(null);
    if (!user) return;
    reload().catch((err) => setError(plainError(err)));
    // Someone may have added (or removed) us elsewhere: refresh when the tab comes back.
    const onVisible = () => {
      if (document.visibilityState === 'visible') reload().catch(() => undefined);
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [user?.id, reload]);

  const create = useCallback(
    async (name: string) => {
      const ws = await api.request<Workspace>('POST', '/workspaces', { name });
      await reload().catch(() => setWorkspaces((prev) => [...(prev ?? []), ws]));
      return ws;
    },
    [api, reload],
  );

  return { workspaces, error, reload, create };
}
