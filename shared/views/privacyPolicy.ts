/**
 * The privacy policy (política de tratamiento de datos personales, Ley 1581 de 2012 and Decreto
 * 1377 de 2013) a person accepts at registration. A new text is a new version: consents record
 * which version each person accepted, so an old consent keeps meaning what it said.
 */
export const PRIVACY_POLICY = {
  version: '2026-12-01',
  publishedAt: '2026-12-01',
  title: 'Política de tratamiento de datos personales – Cuponeras EPM',
  text: [
    'En cumplimiento de la Ley 1581 de 2012 y el Decreto 1377 de 2013, Empresas Públicas de Medellín E.S.P. (EPM), como responsable del tratamiento, recoge y usa sus datos personales (nombre, correo electrónico, tipo y número de documento, celular, los contratos que consulta y los pagos que hace) para: crear y mantener su cuenta; buscar sus facturas y generar cupones de pago; registrar sus pagos; y enviarle facturas, comprobantes y avisos sobre sus cupones y facturas.',
    'Sus datos no se venden ni se ceden a terceros. Los conocen los encargados que EPM contrata para operar el servicio (alojamiento en la nube y envío de correos), bajo las mismas obligaciones de reserva.',
    'Como titular, usted tiene derecho a conocer, actualizar y rectificar sus datos; a pedir prueba de esta autorización; a saber qué uso se les ha dado; a revocar la autorización y pedir que se supriman; y a presentar quejas ante la Superintendencia de Industria y Comercio. Desde su cuenta puede descargar todos sus datos (GET /me/export), corregir su nombre y celular (PATCH /me) y eliminar su cuenta (DELETE /me).',
    'Al eliminar su cuenta, su nombre, correo, documento y celular se reemplazan por un seudónimo. Las facturas y los pagos se conservan bajo ese seudónimo por el tiempo que la ley contable y tributaria exige, sin datos que lo identifiquen.',
    'Consultas y reclamos: protecciondedatos@epm.com.co. Las consultas se responden en máximo diez (10) días hábiles y los reclamos en máximo quince (15) días hábiles.',
  ].join('\n\n'),
} as const;
