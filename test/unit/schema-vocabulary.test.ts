import { FEEDS } from '../../shared/models/feedImport.model';
import { SERVICES, UNITS } from '../../shared/models/invoiceLine.model';
import { TIMER_OUTCOMES } from '../../shared/models/timerRun.model';
import * as invoiceLinesMigration from '../../sql/migrations/0013_invoice_lines';
import * as timerRunsMigration from '../../sql/migrations/0014_timer_runs';

/**
 * A migration keeps its own copy of the values its CHECK constraints allow (it must stay as it
 * ran, whatever the models become); while the models say the same, the copies must agree, or a
 * value the app accepts would be refused by the database (or the other way round).
 */
describe('the vocabularies the schema checks', () => {
  test('the service lines: the services and units of migration 0013 are the model’s', () => {
    expect(invoiceLinesMigration.SERVICES).toEqual([...SERVICES]);
    expect(invoiceLinesMigration.UNITS).toEqual([...UNITS]);
  });

  test('the import runs: the feeds of migration 0013 are the model’s', () => {
    expect(invoiceLinesMigration.FEEDS).toEqual([...FEEDS]);
  });

  test('the timer runs: the outcomes of migration 0014 are the model’s', () => {
    expect(timerRunsMigration.TIMER_OUTCOMES).toEqual([...TIMER_OUTCOMES]);
  });
});
