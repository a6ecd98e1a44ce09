import { z } from 'zod';

import * as billingFeed from '../../shared/controllers/feedImport.controller';
import { httpRoute } from '../../shared/http/handler';
import { httpFunction } from '../../shared/http/routes';
import { services } from '../../shared/services';

/** POST /api/operator/imports/invoices (operators, body text/csv) → 202 {importId}; the blob trigger imports it. */
export const operatorUploadInvoices = httpRoute({
  auth: 'operator',
  doc: {
    summary: 'Cargar el archivo de facturas (operador)',
    description:
      'The billing feed CSV (docs/billing-feed.md) as the body (Content-Type: text/csv, UTF-8, header row). The file is stored ' +
      'as a blob and imported by the importInvoices blob trigger; follow it with GET /operator/imports/{importId}. Audited.',
    tag: 'Operación',
    success: {
      status: 202,
      description: 'The import was queued',
      schema: z.object({ importId: z.string() }).meta({ id: 'ImportQueued' }),
    },
    errors: ['SERVICE_UNAVAILABLE'],
    requestExample:
      'contract_number,holder_name,holder_document_type,holder_document_number,address,city,stratum,services,invoice_number,period,issue_date,due_date,amount\n' +
      '20000001,María Fernanda Ospina,CC,43512876,"Calle 10 # 43-21, El Poblado",Medellín,4,"Energía, Acueducto",F-20000001-2026-11,2026-11,2026-11-20,2026-12-18,187450\n',
  },
  upload: { mediaTypes: ['text/csv'] },
  handle: async ({ user, upload }) => ({
    status: 202,
    body: await billingFeed.uploadFeed(services(), 'invoices', user.id, upload),
  }),
});

httpFunction('operatorUploadInvoices', {
  methods: ['POST', 'OPTIONS'],
  route: 'operator/imports/invoices',
  authLevel: 'anonymous',
  handler: operatorUploadInvoices,
});
