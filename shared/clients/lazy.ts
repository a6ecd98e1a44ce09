/**
 * A module loaded on first use instead of at import. The Azure SDKs, tedious, knex, pdfkit,
 * bwip-js and nodemailer cost 60–240 ms each to load; an instance starting cold loads every
 * function's file, and most of its invocations never need most of them (bench: cold start).
 */
export function onFirstUse<T>(load: () => T): () => T {
  let module: { value: T } | undefined;
  return () => (module ??= { value: load() }).value;
}
