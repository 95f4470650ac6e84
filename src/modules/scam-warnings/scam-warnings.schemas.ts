// Schemas for the scam warnings API: one source for validation, serialisation and OpenAPI.
export const councilScamWarningsParams = {
  type: 'object',
  properties: { council: { type: 'string', description: 'The council, as in its public page address' } },
  required: ['council'],
} as const;

const plainText = 'Plain text; a blank line separates paragraphs. Never HTML.';

export const scamWarningSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    title: { type: 'string' },
    whatItLooksLike: { type: 'string', description: `What the scam looks like. ${plainText}` },
    howToSpot: { type: 'string', description: plainText },
    whatToDo: { type: 'string', description: plainText },
    publishedAt: { type: 'string', format: 'date-time' },
    pageUrl: { type: 'string', format: 'uri', description: 'The warning on the council’s incident page' },
  },
  required: ['id', 'title', 'whatItLooksLike', 'howToSpot', 'whatToDo', 'publishedAt', 'pageUrl'],
} as const;

export const councilScamWarningsResponse = {
  type: 'object',
  properties: {
    council: {
      type: 'object',
      properties: { slug: { type: 'string' }, name: { type: 'string' } },
      required: ['slug', 'name'],
    },
    warnings: {
      type: 'array',
      description: 'Published warnings, newest first. A withdrawn warning is no longer listed.',
      items: scamWarningSchema,
    },
  },
  required: ['council', 'warnings'],
} as const;
