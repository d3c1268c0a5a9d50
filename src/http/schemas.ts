/** JSON Schemas shared by routes: validation, serialization and the OpenAPI document come from these. */
import { Type as T } from 'typebox';

export const Uuid = T.String({ format: 'uuid', description: 'identifier' });
export const Email = T.String({ format: 'email', minLength: 3, maxLength: 254 });
export const Password = T.String({ minLength: 8, maxLength: 256 });
// PostgreSQL text cannot hold NUL: reject it here as a 400 rather than fail the insert with a 500.
const NO_NUL = '^[^\\u0000]*$';
export const DisplayName = T.String({ minLength: 1, maxLength: 100, pattern: NO_NUL });
export const Title = T.String({ maxLength: 200, pattern: NO_NUL });
export const WorkspaceName = T.String({ minLength: 1, maxLength: 100, pattern: NO_NUL });
export const Timestamp = T.String({ format: 'date-time' });

export const WorkspaceRoleSchema = T.Enum(['owner', 'admin', 'member', 'guest']);
export const ShareRoleSchema = T.Enum(['editor', 'commenter', 'viewer']);
export const PlanSchema = T.Enum(['free', 'business', 'enterprise']);
export const AccessSchema = T.Enum(['none', 'viewer', 'commenter', 'editor', 'admin', 'owner']);

export const ProblemSchema = T.Object(
  {
    type: T.String(),
    title: T.String(),
    status: T.Integer(),
    detail: T.String(),
    instance: T.Optional(T.String()),
    errors: T.Optional(T.Array(T.Object({ field: T.String(), message: T.String() }))),
    traceId: T.Optional(T.String()),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

export const UserSchema = T.Object({ id: Uuid, email: T.String(), displayName: T.String(), createdAt: Timestamp });

export const SessionSchema = T.Object({
  user: UserSchema,
  accessToken: T.String(),
  tokenType: T.Literal('Bearer'),
  expiresIn: T.Integer({ description: 'access-token lifetime in seconds' }),
  refreshToken: T.String(),
});

export const WorkspaceSchema = T.Object({
  id: Uuid,
  name: T.String(),
  plan: PlanSchema,
  role: WorkspaceRoleSchema,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const MemberSchema = T.Object({
  userId: Uuid,
  email: T.String(),
  displayName: T.String(),
  role: WorkspaceRoleSchema,
  joinedAt: Timestamp,
});

export const DocumentSchema = T.Object({
  id: Uuid,
  workspaceId: Uuid,
  title: T.String(),
  createdBy: Uuid,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  access: AccessSchema,
});

export const ShareSchema = T.Object({
  userId: Uuid,
  email: T.String(),
  displayName: T.String(),
  role: ShareRoleSchema,
  sharedAt: Timestamp,
});

export const SearchHitSchema = T.Object({
  id: Uuid,
  workspaceId: Uuid,
  title: T.String(),
  rank: T.Number(),
  snippet: T.Array(T.Object({ text: T.String(), match: T.Boolean() }), {
    description: 'headline split into segments; `match` segments are the query terms to highlight',
  }),
});

/** Error responses every authenticated route may return, for the OpenAPI document. */
export const problemResponses = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, T.Ref('Problem')]));
