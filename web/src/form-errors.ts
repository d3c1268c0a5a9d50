/**
 * Turns the API's problem+json into what a form shows: a plain-words message per field (keyed
 * by the body property, "/email" → "email") and one sentence for the form's alert.
 */
import { ApiError } from './api.ts';

export type FieldErrors = Record<string, string>;

const LABELS: Record<string, string> = {
  email: 'email address',
  password: 'password',
  displayName: 'name',
  name: 'name',
  title: 'title',
  role: 'role',
};

/** One Ajv/domain message about `field` in plain words. */
export function plainFieldMessage(field: string, message: string): string {
  const label = LABELS[field] ?? 'value';
  let m = /must NOT have fewer than (\d+) characters?/.exec(message);
  if (m) return Number(m[1]) <= 1 ? `Enter a ${label}.` : `Use at least ${m[1]} characters.`;
  m = /must NOT have more than (\d+) characters?/.exec(message);
  if (m) return `Use at most ${m[1]} characters.`;
  if (/must match format "email"/.test(message)) return 'Enter an email address like name@example.com.';
  if (/must have required property/.test(message)) return `Enter a ${label}.`;
  if (/must be equal to one of the allowed values/.test(message)) return `Choose a ${label} from the list.`;
  if (/must match pattern/.test(message)) return `This ${label} contains characters that are not allowed.`;
  return sentence(message);
}

/** "no account with this email" → "No account with this email." */
export function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}

/** Field name from a problem's `errors[].field`: "/email" → "email", "/" or "params:/id" → "". */
export function fieldName(path: string): string {
  if (path.includes(':')) return '';
  return path.replace(/^\//, '').split('/')[0] ?? '';
}

export type FormProblem = { message: string; fields: FieldErrors };

/** Field name → its visible label, in the order the form shows them. */
export type FieldLabels = Record<string, string>;

/**
 * The alert's sentence for field errors, so a screen reader hears what is wrong without hunting:
 * "Password: Use at least 8 characters." or "Please fill in or correct: Display name, Email."
 */
export function summarize(fields: FieldErrors, labels: FieldLabels): string {
  const names = Object.keys(labels).filter((n) => fields[n]);
  if (names.length === 1) {
    const name = names[0] as string;
    return `${labels[name]}: ${fields[name]}`;
  }
  return `Please fill in or correct: ${names.map((n) => labels[n]).join(', ')}.`;
}

/**
 * What to show for a failed submit. Field problems go next to their fields (the first per
 * field wins) and are summarised in the alert. Anything else is the error's message.
 */
export function formProblem(err: unknown, labels: FieldLabels): FormProblem {
  if (!(err instanceof ApiError)) return { message: 'Something went wrong. Please try again.', fields: {} };
  const fields: FieldErrors = {};
  for (const f of err.fields) {
    const name = fieldName(f.field);
    if (name in labels && !fields[name]) fields[name] = plainFieldMessage(name, f.message);
  }
  if (Object.keys(fields).length > 0) return { message: summarize(fields, labels), fields };
  return { message: sentence(err.message), fields };
}

/** Policy actions in the API's 403 details, in plain words. */
const REFUSALS: Record<string, string> = {
  'members.list': 'Only workspace members can see who else is in this workspace.',
  'members.add': 'Only workspace owners and admins can invite people.',
  'documents.create': 'Guests cannot create documents here. Ask an admin to make you a member.',
  'workspace.rename': 'Only workspace owners and admins can rename the workspace.',
  'workspace.delete': 'Only workspace owners can delete the workspace.',
  'document.rename': 'You can view this document but not rename it.',
  'document.delete': "Only the document's owner or a workspace admin can delete it.",
  'shares.manage': "Only the document's owner or a workspace admin can change who has access.",
  'document.setGeneralAccess': "Only the document's owner or a workspace admin can change general access.",
  'document.transferOwnership': "Only the document's owner or a workspace admin can transfer ownership.",
};

/** A refusal or failure as one plain sentence (403 details name policy actions; translate those). */
export function plainError(err: unknown): string {
  if (!(err instanceof ApiError)) return 'Something went wrong. Please try again.';
  const action = /does not allow ([\w.]+)/.exec(err.message)?.[1];
  if (err.status === 403 && action) return REFUSALS[action] ?? 'You do not have permission to do that.';
  if (err.status === 403 && /manage members/.test(err.message))
    return 'Only workspace owners and admins can manage members.';
  return sentence(err.message);
}

/**
 * Why adding a person by email failed, for the invite and share forms: a message for the email
 * field, or one for the whole form. (Any address may be invited: the API never says whether it
 * has an account.)
 */
export function emailInviteProblem(err: unknown): { email?: string; form?: string } {
  const p = formProblem(err, { email: 'Email', role: 'Role' });
  return p.fields.email ? { email: p.fields.email } : { form: plainError(err) };
}

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Why an address typed to add someone cannot be sent, or null when it has an email's shape. */
export function emailShapeProblem(address: string, verb: string): string | null {
  if (EMAIL_SHAPE.test(address)) return null;
  return address
    ? 'Enter an email address like name@example.com.'
    : `Enter the email address of the person to ${verb}.`;
}
