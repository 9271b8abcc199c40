// JSON schemas shared by the routes; the OpenAPI document is generated from the same objects.
import { STATES } from '../pipeline/states.js';

export const problemRef = { $ref: 'Problem#' } as const;

/** Error responses every authenticated route may give. */
export const errorResponses = {
  400: problemRef,
  401: problemRef,
  403: problemRef,
  404: problemRef,
  429: problemRef,
  500: problemRef,
} as const;

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[0-9A-Za-z][0-9A-Za-z-]{0,63}$', description: 'evidence id' } },
  additionalProperties: false,
} as const;

export const reasonHeaders = {
  type: 'object',
  properties: {
    'x-access-reason': {
      type: 'string',
      description: 'why you access this (required for downloads): UTF-8, percent-encoded, ≤ 500 characters',
    },
  },
} as const;

export const evidenceSummary = {
  type: 'object',
  required: ['id', 'state', 'sha256', 'size', 'receivedAt'],
  properties: {
    id: { type: 'string' },
    state: { type: 'string', enum: [...STATES] },
    caseNumber: { type: ['string', 'null'] },
    originalName: { type: 'string' },
    sha256: { type: 'string' },
    size: { type: 'integer' },
    dockId: { type: 'string' },
    deviceId: { type: ['string', 'null'] },
    receivedAt: { type: 'string' },
    missing: { type: 'array', items: { type: 'string' } },
    unconfirmed: {
      type: 'array',
      items: { type: 'string' },
      description:
        'present but only from a default or a guess (dock place, mtime time, placeholder): not the same as missing',
    },
  },
  additionalProperties: true,
} as const;

export const evidencePage = {
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: {
    items: { type: 'array', items: evidenceSummary },
    nextCursor: { type: ['string', 'null'], description: 'pass as `cursor` for the next page; null at the end' },
  },
} as const;

export const listQuery = {
  type: 'object',
  properties: {
    caseNumber: { type: 'string', maxLength: 256 },
    collector: { type: 'string', maxLength: 256, description: 'collector name or badge id' },
    from: { type: 'string', format: 'date-time', description: 'received at or after (ISO 8601)' },
    to: { type: 'string', format: 'date-time', description: 'received before (ISO 8601)' },
    state: { type: 'string', enum: [...STATES] },
    cursor: { type: 'string', maxLength: 400 },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
  additionalProperties: false,
} as const;

export const binaryResponse = {
  description: 'the bytes, streamed',
  content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
} as const;
