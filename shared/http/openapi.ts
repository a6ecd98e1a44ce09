import { z } from 'zod';

import { DEFAULT_UPLOAD_MAX_BYTES } from '../config';
import { ERROR_CATALOG, type ErrorCode } from '../errors';
import { PROBLEM_BASE_URI } from './errors';

/**
 * The OpenAPI 3.1 document, built from the same zod schemas that validate each route's input and
 * shape its output, and from the routes the app registers (see scripts/generate-openapi.ts), so
 * the document cannot drift from the code.
 */

export interface RouteDoc {
  summary: string;
  description?: string;
  tag:
    | 'Sistema'
    | 'Cuenta'
    | 'Facturas'
    | 'Cupones'
    | 'Pagos'
    | 'Pago sin cuenta'
    | 'Notificaciones'
    | 'Operación'
    | 'Sandbox';
  success: { status: number; description: string; schema?: z.ZodType; contentType?: string; example?: unknown };
  /** Business errors of this route; auth and validation errors are added from the spec. */
  errors?: ErrorCode[];
  headers?: {
    name: string;
    required: boolean;
    description: string;
    example?: string;
    schema?: Record<string, unknown>;
  }[];
  requestExample?: unknown;
  /** Statuses answered with an HTML page for a person (the sandbox's checkout), not problem+json. */
  htmlPages?: number[];
  /** Not an operation of the API (the catch-all that answers unknown routes): left out of the document. */
  hidden?: boolean;
}

/** A route whose body is a file (text/csv, text/plain), not JSON. */
export interface UploadSpec {
  mediaTypes: string[];
  /** A form (application/x-www-form-urlencoded): its fields, for the document. */
  form?: z.ZodType;
}

/** What httpRoute attaches to its handler for the document. */
export interface RouteContract {
  auth: 'none' | 'user' | 'operator';
  body?: z.ZodType;
  upload?: UploadSpec;
  query?: z.ZodType;
  params?: z.ZodType;
  doc?: RouteDoc;
}

export interface DocumentedRoute {
  name: string;
  route: string;
  methods: string[];
  contract: RouteContract;
}

export const problemSchema = z
  .object({
    type: z.string().describe(`${PROBLEM_BASE_URI}<code in kebab case>`),
    title: z.string().describe('Spanish (es-CO) title of the code'),
    status: z.number().int(),
    detail: z.string().describe('Spanish (es-CO) explanation for this occurrence'),
    code: z.enum(Object.keys(ERROR_CATALOG) as [ErrorCode, ...ErrorCode[]]),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z
      .array(z.object({ path: z.string().describe('e.g. body.email, query.limit'), message: z.string() }))
      .optional(),
    retryAfterSeconds: z.number().int().optional(),
    paymentId: z.string().optional().describe('PAYMENT_IN_PROGRESS: the PENDING payment the invoice is in'),
  })
  .meta({ id: 'Problem' });

type JsonSchema = Record<string, unknown>;

/** zod → JSON Schema 2020-12 (OpenAPI 3.1's dialect); named schemas become component references. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output', components: Record<string, JsonSchema>): JsonSchema {
  const raw = z.toJSONSchema(schema, { io, unrepresentable: 'any', reused: 'inline' });
  // Schemas with a meta id come back under $defs: they become OpenAPI components.
  const converted = JSON.parse(JSON.stringify(raw).replace(/#\/\$defs\//g, '#/components/schemas/')) as JsonSchema & {
    $defs?: Record<string, JsonSchema>;
  };
  const { $defs, $schema: _dialect, id: _ownId, ...rest } = converted;
  for (const [id, def] of Object.entries($defs ?? {})) {
    const { id: _id, ...clean } = def;
    components[id] ??= clean;
  }
  const id = schema.meta()?.id;
  if (typeof id === 'string') {
    components[id] ??= rest;
    return { $ref: `#/components/schemas/${id}` };
  }
  return rest;
}

function parameters(
  schema: z.ZodType | undefined,
  where: 'query' | 'path',
  components: Record<string, JsonSchema>,
): unknown[] {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input', components) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (object.required ?? []).includes(name),
    description: property.description,
    schema: property,
  }));
}

const GENERIC_ERRORS: ErrorCode[] = ['INTERNAL_ERROR'];

function errorCodes(contract: RouteContract): ErrorCode[] {
  const codes = new Set<ErrorCode>(contract.doc?.errors ?? []);
  if (contract.body || contract.query || contract.params) codes.add('VALIDATION_FAILED');
  if (contract.body)
    ['MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE'].forEach((c) => codes.add(c as ErrorCode));
  if (contract.upload)
    ['VALIDATION_FAILED', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE'].forEach((c) => codes.add(c as ErrorCode));
  if (contract.auth !== 'none') ['UNAUTHENTICATED', 'INVALID_TOKEN'].forEach((c) => codes.add(c as ErrorCode));
  if (contract.auth === 'operator') codes.add('FORBIDDEN');
  GENERIC_ERRORS.forEach((c) => codes.add(c));
  return [...codes];
}

/** Documented wherever an answer documents its headers: the app sends it to CORS_ORIGINS' origins. */
const CORS_RESPONSE_HEADERS = {
  'Access-Control-Allow-Origin': {
    description: "The request's Origin when it is one of CORS_ORIGINS (or * when CORS_ORIGINS is *); absent otherwise",
    schema: { type: 'string', maxLength: 2048 },
  },
};

function errorResponses(codes: ErrorCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes)
    byStatus.set(ERROR_CATALOG[code].status, [...(byStatus.get(ERROR_CATALOG[code].status) ?? []), code]);
  const responses: Record<string, unknown> = {};
  for (const [status, list] of [...byStatus.entries()].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: list.map((c) => `\`${c}\`: ${ERROR_CATALOG[c].title}`).join('; '),
      headers:
        status === 429 || status === 423
          ? {
              'Retry-After': {
                description: 'Seconds to wait',
                schema: { type: 'integer', minimum: 1, maximum: 86_400 },
              },
              ...CORS_RESPONSE_HEADERS,
            }
          : undefined,
      content: {
        'application/problem+json': {
          schema: { allOf: [{ $ref: '#/components/schemas/Problem' }, { properties: { code: { enum: list } } }] },
          example: {
            type: `${PROBLEM_BASE_URI}${(list[0] ?? 'INTERNAL_ERROR').toLowerCase().replace(/_/g, '-')}`,
            title: ERROR_CATALOG[list[0] ?? 'INTERNAL_ERROR'].title,
            status,
            detail: ERROR_CATALOG[list[0] ?? 'INTERNAL_ERROR'].title,
            code: list[0],
          },
        },
      },
    };
  }
  return responses;
}

/** The statuses a route answers with an HTML page, added beside (or instead of) their problem+json. */
function withHtmlPages(responses: Record<string, unknown>, statuses: number[]): Record<string, unknown> {
  for (const status of statuses) {
    const existing = (responses[String(status)] ?? { description: 'An HTML page saying why' }) as {
      description: string;
      content?: Record<string, unknown>;
    };
    responses[String(status)] = {
      ...existing,
      content: { ...existing.content, 'text/html': { schema: { type: 'string', maxLength: 65536 } } },
    };
  }
  return responses;
}

/** The largest value of JSON Schema's int32 format. */
const INT32_MAX = 2 ** 31 - 1;

/**
 * What a schema's own definition already bounds, written out for the tools that read the
 * document (OWASP API4: every integer says its format, every string its longest length): an
 * integer's format from its range, the length of the fixed-size string formats.
 */
function writeOutBounds(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(writeOutBounds);
  if (typeof node !== 'object' || node === null) return;
  const schema = node as Record<string, unknown>;
  if (schema.type === 'integer' && schema.format === undefined) {
    const max = typeof schema.maximum === 'number' ? schema.maximum : Infinity;
    const min = typeof schema.minimum === 'number' ? schema.minimum : -Infinity;
    schema.format = max <= INT32_MAX && min >= -INT32_MAX - 1 ? 'int32' : 'int64';
  }
  if (schema.type === 'string' && schema.maxLength === undefined) {
    const longest: Record<string, number> = { uuid: 36, date: 10, 'date-time': 35, email: 254, uri: 2048 };
    if (typeof schema.format === 'string' && longest[schema.format] !== undefined)
      schema.maxLength = longest[schema.format];
  }
  Object.values(schema).forEach(writeOutBounds);
}

export function buildOpenApiDocument(routes: DocumentedRoute[], info: { version: string }): Record<string, unknown> {
  const components: Record<string, JsonSchema> = {};
  jsonSchema(problemSchema, 'output', components);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of [...routes].sort((a, b) => a.route.localeCompare(b.route))) {
    const { contract } = route;
    const doc = contract.doc;
    if (!doc) throw new Error(`Route ${route.name} has no documentation (doc) in its httpRoute spec`);
    const path = '/' + route.route.replace(/\{(\*)?([A-Za-z_]\w*)(:[a-z]+)?\??\}/g, '{$2}');
    for (const method of route.methods.filter((m) => m !== 'OPTIONS')) {
      const operation: Record<string, unknown> = {
        operationId: route.name,
        summary: doc.summary,
        description: doc.description,
        tags: [doc.tag],
        security: contract.auth === 'none' ? [] : [{ bearerAuth: [] }],
        parameters: [
          ...parameters(contract.params, 'path', components),
          ...parameters(contract.query, 'query', components),
          ...(doc.headers ?? []).map((h) => ({
            name: h.name,
            in: 'header',
            required: h.required,
            description: h.description,
            schema: h.schema ?? { type: 'string', maxLength: 255 },
            example: h.example,
          })),
        ],
        responses: {
          [String(doc.success.status)]: {
            description: doc.success.description,
            content: doc.success.schema
              ? {
                  [doc.success.contentType ?? 'application/json']: {
                    schema: jsonSchema(doc.success.schema, 'output', components),
                    example: doc.success.example,
                  },
                }
              : doc.success.contentType
                ? {
                    [doc.success.contentType]: {
                      schema: doc.success.contentType.includes('json')
                        ? { type: 'object' }
                        : { type: 'string', contentMediaType: doc.success.contentType },
                    },
                  }
                : undefined,
          },
          ...withHtmlPages(errorResponses(errorCodes(contract)), doc.htmlPages ?? []),
        },
      };
      if (contract.body) {
        operation.requestBody = {
          required: true,
          content: {
            'application/json': { schema: jsonSchema(contract.body, 'input', components), example: doc.requestExample },
          },
        };
      }
      if (contract.upload) {
        operation.requestBody = {
          required: true,
          content: Object.fromEntries(
            contract.upload.mediaTypes.map((type) => [
              type,
              {
                schema: contract.upload?.form
                  ? jsonSchema(contract.upload.form, 'input', components)
                  : { type: 'string', contentMediaType: type, maxLength: DEFAULT_UPLOAD_MAX_BYTES },
                example: doc.requestExample,
              },
            ]),
          ),
        };
      }
      paths[path] = { ...paths[path], [method.toLowerCase()]: JSON.parse(JSON.stringify(operation)) as unknown };
    }
  }
  const document = {
    openapi: '3.1.0',
    info: {
      title: 'Cuponeras EPM API',
      version: info.version,
      description:
        'Facturas por número de contrato, cupones de pago con código de barras GS1-128, pagos, historial y notificaciones de EPM. ' +
        'Errors are application/problem+json with a stable `code`; texts are Spanish (es-CO). Money is whole Colombian pesos.',
    },
    servers: [
      {
        url: '/api',
        description: 'This deployment: production in Azure, local with npm start (the same routes)',
        'x-internal': false,
      },
    ],
    tags: [
      'Sistema',
      'Cuenta',
      'Facturas',
      'Cupones',
      'Pagos',
      'Pago sin cuenta',
      'Notificaciones',
      'Operación',
      'Sandbox',
    ].map((name) => ({
      name,
    })),
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'The accessToken from POST /auth/login or /auth/refresh. JWTs follow RFC8725 (JSON Web Token Best Current Practices): the algorithm is pinned ' +
            '(HS256, or RS256 when configured; never none), issuer and audience are checked, lifetime 15 minutes.',
        },
      },
    },
  };
  writeOutBounds(document.paths);
  writeOutBounds(document.components);
  return document;
}
