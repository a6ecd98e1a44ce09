import { z } from 'zod';

import * as billingFeed from '../../shared/controllers/feedImport.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { services } from '../../shared/services';

/** POST /api/operator/imports/invoice-lines (operators, body text/csv) → 202 {importId}; the blob trigger imports it. */
export const operatorUploadInvoiceLines = httpRoute({
  auth: 'operator',
  doc: {
    summary: 'Cargar el archivo de líneas de factura (operador)',
    description:
      'The service-lines CSV (docs/billing-feed.md, "Service lines") as the body (Content-Type: text/csv, UTF-8, header row). ' +
      'The file is stored as a blob and imported by the importInvoiceLines blob trigger; follow it with ' +
      'GET /operator/imports/{importId}. Audited.',
    tag: 'Operación',
    success: {
      status: 202,
      description: 'The import was queued',
      schema: z.object({ importId: z.string() }).meta({ id: 'ImportQueued' }),
    },
    errors: ['SERVICE_UNAVAILABLE'],
    requestExample:
      'invoice_number,service,concept,unit,quantity,amount\n' +
      'F1000000120261,ENERGIA,Consumo energía,kWh,182.000,142350\n' +
      'F1000000120261,ENERGIA,Subsidio estrato 2,,,-28470\n',
  },
  upload: { mediaTypes: ['text/csv'] },
  handle: async ({ user, upload }) => ({
    status: 202,
    body: await billingFeed.uploadFeed(services(), 'invoice-lines', user.id, upload),
  }),
});

httpFunction('operatorUploadInvoiceLines', {
  methods: ['POST', 'OPTIONS'],
  route: 'operator/imports/invoice-lines',
  authLevel: 'anonymous',
  handler: operatorUploadInvoiceLines,
});
