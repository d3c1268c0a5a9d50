/**
 * Metrics of access settings: changes of a document's general access (by the new setting) and
 * ownership transfers. A burst of `restricted` is what a confused bulk change looks like; the
 * per-change log line (component "access") says who did it to which document.
 */
import client from 'prom-client';

/** Counts one change; fits the access use case's observer port structurally. */
export function accessChangeMetrics(registry: client.Registry): (kind: string, value: string) => void {
  const changes = new client.Counter({
    name: 'document_access_changes_total',
    help:
      'Changes of general access (setting: restricted/view/comment/edit), document ownership transfers ' +
      '(owner) and workspace primary owner hand-overs (primary_owner)',
    labelNames: ['setting'],
    registers: [registry],
  });
  for (const setting of ['restricted', 'view', 'comment', 'edit', 'owner', 'primary_owner']) {
    changes.inc({ setting }, 0);
  }
  return (kind, value) => changes.inc({ setting: kind === 'general_access' ? value : kind });
}
