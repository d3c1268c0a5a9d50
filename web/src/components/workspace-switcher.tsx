/** The header's workspace picker (a native select, so it is keyboard- and screen-reader-friendly). */
import type { Workspace } from '../model.ts';
import { navigate } from '../router.ts';

type Props = { workspaces: Workspace[]; currentId: string | null };

export function WorkspaceSwitcher({ workspaces, currentId }: Props) {
  const known = currentId !== null && workspaces.some((w) => w.id === currentId);
  return (
    <select
      class="workspace-select"
      aria-label="Workspace"
      value={known ? (currentId as string) : ''}
      onChange={(e) => {
        const id = e.currentTarget.value;
        if (id) navigate(`/w/${id}`);
      }}
    >
      {!known && (
        <option value="" disabled>
          {workspaces.length ? 'Choose a workspace' : 'No workspaces'}
        </option>
      )}
      {workspaces.map((w) => (
        <option key={w.id} value={w.id}>
          {w.name}
        </option>
      ))}
    </select>
  );
}
