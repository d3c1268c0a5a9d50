import { describe, expect, it } from 'vitest';
import { ApiError } from './api.ts';
import {
  emailInviteProblem,
  emailShapeProblem,
  fieldName,
  formProblem,
  plainError,
  plainFieldMessage,
  sentence,
  summarize,
} from './form-errors.ts';

describe('form errors from problem+json', () => {
  it('maps errors[].field to the form field it names', () => {
    expect(fieldName('/email')).toBe('email');
    expect(fieldName('/displayName')).toBe('displayName');
    expect(fieldName('/')).toBe('');
    expect(fieldName('params:/id')).toBe('');
    expect(fieldName('querystring:/limit')).toBe('');
  });

  it('rewrites validator messages in plain words', () => {
    expect(plainFieldMessage('password', 'must NOT have fewer than 8 characters')).toBe('Use at least 8 characters.');
    expect(plainFieldMessage('displayName', 'must NOT have fewer than 1 characters')).toBe('Enter a name.');
    expect(plainFieldMessage('email', 'must match format "email"')).toBe(
      'Enter an email address like name@example.com.',
    );
    expect(plainFieldMessage('title', 'must NOT have more than 200 characters')).toBe('Use at most 200 characters.');
    expect(plainFieldMessage('email', 'no account with this email')).toBe('No account with this email.');
  });

  it('puts field problems next to known fields and summarises them in one sentence', () => {
    const err = new ApiError(400, '/email must match format "email"', [
      { field: '/email', message: 'must match format "email"' },
      { field: '/email', message: 'second message is ignored' },
      { field: '/isAdmin', message: 'must NOT have additional properties' },
    ]);
    expect(formProblem(err, { email: 'Email', password: 'Password' })).toEqual({
      message: 'Email: Enter an email address like name@example.com.',
      fields: { email: 'Enter an email address like name@example.com.' },
    });
  });

  it('summarises several fields in the order the form shows them', () => {
    const labels = { displayName: 'Display name', email: 'Email', password: 'Password' };
    expect(summarize({ password: 'Enter your password.', displayName: 'Enter your name.' }, labels)).toBe(
      'Please fill in or correct: Display name, Password.',
    );
  });

  it('falls back to the message when no field is known', () => {
    const err = new ApiError(409, 'an account with this email already exists');
    expect(formProblem(err, { email: 'Email' })).toEqual({
      message: 'An account with this email already exists.',
      fields: {},
    });
    expect(formProblem(new TypeError('x'), { email: 'Email' }).message).toBe('Something went wrong. Please try again.');
  });

  it('translates policy refusals (403) instead of showing action names', () => {
    expect(plainError(new ApiError(403, 'your workspace role (member) does not allow members.add'))).toBe(
      'Only workspace owners and admins can invite people.',
    );
    expect(plainError(new ApiError(403, 'your access (viewer) does not allow document.rename'))).toBe(
      'You can view this document but not rename it.',
    );
    expect(plainError(new ApiError(403, 'only admins and owners manage members'))).toBe(
      'Only workspace owners and admins can manage members.',
    );
    expect(plainError(new ApiError(403, 'your access (x) does not allow something.new'))).toBe(
      'You do not have permission to do that.',
    );
    expect(plainError(new ApiError(403, 'only owners manage admins and owners'))).toBe(
      'Only owners manage admins and owners.',
    );
  });

  it('sentence() capitalises and ends with a full stop once', () => {
    expect(sentence('done')).toBe('Done.');
    expect(sentence('Already there!')).toBe('Already there!');
    expect(sentence('  ')).toBe('');
  });
});

describe('adding a person by email', () => {
  it('puts a refusal of the address next to the email field', () => {
    const err = new ApiError(400, 'Bad request', [{ field: '/email', message: 'must match format "email"' }]);
    expect(emailInviteProblem(err).email).toBeDefined();
    expect(emailInviteProblem(err).form).toBeUndefined();
  });

  it('puts anything that is not about the email on the whole form', () => {
    const problem = emailInviteProblem(new ApiError(409, 'They already have access.'));
    expect(problem.email).toBeUndefined();
    expect(problem.form).toMatch(/already have access/);
  });
});

describe('adding someone by email (share dialog and members page)', () => {
  it('asks for an address, then for its shape, before anything is sent', () => {
    expect(emailShapeProblem('', 'invite')).toBe('Enter the email address of the person to invite.');
    expect(emailShapeProblem('', 'add')).toBe('Enter the email address of the person to add.');
    expect(emailShapeProblem('bob', 'add')).toBe('Enter an email address like name@example.com.');
    expect(emailShapeProblem('bob@example', 'add')).toBe('Enter an email address like name@example.com.');
    expect(emailShapeProblem('bob@example.com', 'add')).toBeNull();
  });
});
