/** The signed-in user's workspaces, loaded once per session and refreshed after changes. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { ApiClient, User } from './api.ts';
import { plainError } from './form-errors.ts';
import type { Items, Workspace } from './model.ts';

const LAST_KEY = 'collab-docs.last-workspace';

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
    const sorted = [...items].sort((a, b) => a.name.localeCompare(b.name));
    setWorkspaces(sorted);
    setError(null);
    return sorted;
  }, [api]);

  useEffect(() => {
    setWorkspaces(null);
    if (!user) return;
    reload().catch((err) => setError(plainError(err)));
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

export function rememberWorkspace(id: string): void {
  try {
    localStorage.setItem(LAST_KEY, id);
  } catch {
    // Private mode without storage: "/" then opens the first workspace instead.
  }
}

/** The workspace "/" opens: the last one visited if it still exists, else the first. */
export function preferredWorkspace(workspaces: Workspace[]): Workspace | undefined {
  let last: string | null = null;
  try {
    last = localStorage.getItem(LAST_KEY);
  } catch {
    last = null;
  }
  return workspaces.find((w) => w.id === last) ?? workspaces[0];
}
