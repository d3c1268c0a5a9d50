/**
 * The version-history API's shapes (docs/spec/history.md). Browser-safe like schemas.ts (TypeBox
 * and src/domain only): the web app's history panel takes its types from here, type-only.
 */
import { type Static, Type as T } from 'typebox';
import { VERSION_NAME_MAX_LENGTH } from '../domain/limits.ts';

const Uuid = T.String({ format: 'uuid', description: 'identifier' });
const Timestamp = T.String({ format: 'date-time' });

export const PersonSchema = T.Object({ userId: Uuid, displayName: T.String() }, { title: 'Person' });

export const VersionSchema = T.Object(
  {
    id: Uuid,
    createdAt: Timestamp,
    kind: T.Enum(['auto', 'named', 'restore', 'pre-restore'], {
      description:
        'auto: taken while people edited; named: saved by someone; pre-restore: the document just before a ' +
        'restore; restore: the document just after one',
    }),
    name: T.Union([T.String(), T.Null()]),
    createdBy: T.Union([PersonSchema, T.Null()], { description: 'who saved it (null for automatic versions)' }),
    contributors: T.Array(PersonSchema, { description: 'who edited since the previous version' }),
    restoredFrom: T.Union([Uuid, T.Null()], { description: 'restore entries: the version brought back' }),
    sizeBytes: T.Integer({ description: 'size of the stored snapshot (encoded Yjs state)' }),
  },
  { title: 'Version' },
);

export const VersionContentSchema = T.Object(
  {
    ...VersionSchema.properties,
    content: T.Unknown({ description: 'ProseMirror JSON of the document as it was' }),
  },
  { title: 'VersionContent' },
);

export const NewVersionSchema = T.Object(
  {
    name: T.String({
      minLength: 1,
      maxLength: VERSION_NAME_MAX_LENGTH,
      pattern: '^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$',
    }),
  },
  { additionalProperties: false, title: 'NewVersion' },
);

const ChangeStatus = T.Enum(['same', 'added', 'removed']);

export const VersionChangesSchema = T.Object(
  {
    versionId: Uuid,
    previousVersionId: T.Union([Uuid, T.Null()], { description: 'null: the first version (everything is added)' }),
    added: T.Integer({ description: 'characters added since the previous version' }),
    removed: T.Integer({ description: 'characters removed since the previous version' }),
    blocks: T.Array(
      T.Object({
        type: T.String({ description: 'the block node (paragraph, heading, ...)' }),
        status: ChangeStatus,
        segments: T.Array(
          T.Object({
            text: T.String(),
            status: ChangeStatus,
            authorId: T.Optional(Uuid),
          }),
        ),
      }),
    ),
    authors: T.Array(PersonSchema, { description: 'the people `authorId` names' }),
  },
  { title: 'VersionChanges' },
);

export const RestoredSchema = T.Object(
  {
    restore: VersionSchema,
    preRestore: VersionSchema,
  },
  { title: 'VersionRestored' },
);

export type Version = Static<typeof VersionSchema>;
export type VersionContent = Static<typeof VersionContentSchema>;
export type VersionChanges = Static<typeof VersionChangesSchema>;
export type VersionRestored = Static<typeof RestoredSchema>;
