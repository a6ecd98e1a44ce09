/**
 * The QR code DIAN requires on the printed electronic equivalent document (Res. 000165 de 2023,
 * anexo técnico del documento equivalente electrónico, "representación gráfica"): the
 * document's key fields, one `Name: value` per line, ending with the URL of DIAN's catalogue,
 * where anyone who scans it can check the document by its CUDE. docs/billing-feed.md says which
 * fields are used and why the buyer's document is left out.
 */
export const DIAN_CATALOGUE_URL = 'https://catalogo-vpfe.dian.gov.co/document/searchqr?documentkey=';

/** EPM's NIT without its check digit, as DIAN's fields carry it. */
export const EPM_NIT = '890904996';

export interface EquivalentDocument {
  number: string;
  /** YYYY-MM-DD */
  issueDate: string;
  /** Whole pesos. */
  amount: number;
  cude: string;
}

/** Pesos with two decimals and a point, as DIAN's XML and QR write amounts. */
const dianAmount = (pesos: number) => `${pesos}.00`;

export function dianQrText(document: EquivalentDocument): string {
  return [
    `NumFac: ${document.number}`,
    `FecFac: ${document.issueDate}`,
    `NitFac: ${EPM_NIT}`,
    `ValFac: ${dianAmount(document.amount)}`,
    // Residential public utilities are excluded from IVA (Estatuto Tributario, art. 476).
    `ValIva: ${dianAmount(0)}`,
    `ValOtroIm: ${dianAmount(0)}`,
    `ValTolFac: ${dianAmount(document.amount)}`,
    `CUDE: ${document.cude}`,
    `QRCode: ${DIAN_CATALOGUE_URL}${document.cude}`,
  ].join('\n');
}
