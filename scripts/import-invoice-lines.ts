import { importInvoiceLines } from '../shared/controllers/invoiceLineFeed.controller';
import { importFeedFile, runCli } from './cli';

/** npm run import:invoice-lines -- FILE: the service lines of invoices already loaded (docs/billing-feed.md). */
runCli(() => importFeedFile('import:invoice-lines', 'Líneas', importInvoiceLines));
