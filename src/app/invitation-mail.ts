/**
 * The texts of invitation emails. Plain text only: names people chose (workspaces, titles,
 * display names) are never interpreted as markup, and the one link is the only thing to click.
 */
import type { MailMessage } from './ports.ts';

export type InvitationMailInput = {
  to: string;
  inviter: { displayName: string; email: string };
  link: string;
  expiresAt: Date;
} & (
  | { kind: 'workspace'; workspaceName: string; role: string }
  | { kind: 'document'; documentTitle: string; role: string }
);

const ROLE_WORDS: Record<string, string> = {
  viewer: 'view',
  commenter: 'comment on',
  editor: 'edit',
};

export function invitationMail(m: InvitationMailInput): MailMessage {
  const who = `${m.inviter.displayName} (${m.inviter.email})`;
  const expires = m.expiresAt.toUTCString();
  if (m.kind === 'workspace') {
    return {
      to: m.to,
      subject: `${m.inviter.displayName} invited you to “${m.workspaceName}” on Collab Docs`,
      text:
        `${who} invited you to join the workspace “${m.workspaceName}” as ${m.role === 'admin' ? 'an' : 'a'} ${m.role}.\n\n` +
        `Accept the invitation here (you can create an account with this email address if you have none):\n\n` +
        `${m.link}\n\n` +
        `Nothing changes until you accept. The invitation expires ${expires}.\n`,
    };
  }
  return {
    to: m.to,
    subject: `${m.inviter.displayName} shared “${m.documentTitle}” with you`,
    text:
      `${who} shared the document “${m.documentTitle}” with you: you can ${ROLE_WORDS[m.role] ?? 'view'} it.\n\n` +
      `Open it here (you can create an account with this email address if you have none):\n\n` +
      `${m.link}\n\n` +
      `The link works until ${expires}.\n`,
  };
}
