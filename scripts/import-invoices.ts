import { importInvoices } from '../shared/controllers/invoiceFeed.controller';
import { importFeedFile, runCli } from './cli';

/** npm run import:invoices -- FILE: the billing feed's invoices CSV (docs/billing-feed.md). */
runCli(() => importFeedFile('import:invoices', 'Facturas', importInvoices));
