/**
 * Metrics of access settings: changes of a document's general access (by the new setting) and
 * ownership transfers, and accounts signing out everywhere. A burst of `restricted` is what a
 * confused bulk change looks like; the per-change log line (component "access") says who did it.
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

/** Counts "sign out everywhere" [A9]: a burst is what a credential leak being cleaned up looks like. */
export function signOutMetrics(registry: client.Registry): () => void {
  const signOuts = new client.Counter({
    name: 'sign_outs_everywhere_total',
    help: 'Accounts that ended every session at once ("sign out everywhere")',
    registers: [registry],
  });
  signOuts.inc(0);
  return () => signOuts.inc();
}
