// Schemas for the public updates API: one source for validation, serialisation and OpenAPI.
export const councilUpdatesParams = {
  type: 'object',
  properties: { council: { type: 'string', description: 'The council, as in its public page address' } },
  required: ['council'],
} as const;

export const publishedUpdateSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    title: { type: 'string' },
    body: { type: 'string', description: 'Plain text; a blank line separates paragraphs. Never HTML.' },
    publishedAt: { type: 'string', format: 'date-time', description: 'When the update was first published' },
    updatedAt: { type: 'string', format: 'date-time', description: 'When the text shown was published' },
    corrected: { type: 'boolean', description: 'True when the update has been corrected since it was first published' },
    pageUrl: { type: 'string', format: 'uri' },
  },
  required: ['id', 'title', 'body', 'publishedAt', 'updatedAt', 'corrected', 'pageUrl'],
} as const;

export const councilUpdatesResponse = {
  type: 'object',
  properties: {
    council: {
      type: 'object',
      properties: { slug: { type: 'string' }, name: { type: 'string' } },
      required: ['slug', 'name'],
    },
    feedUrl: { type: 'string', format: 'uri' },
    updates: { type: 'array', items: publishedUpdateSchema },
  },
  required: ['council', 'feedUrl', 'updates'],
} as const;
