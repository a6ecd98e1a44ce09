/**
 * The one error type of the app and its catalogue of stable codes. Controllers and models throw
 * AppError; shared/http/errors.ts turns it into application/problem+json (the handler maps
 * anything else thrown as well). It sits below every layer, so no layer imports http/ for it.
 */

/** Every code the API can answer with, its HTTP status and its Spanish (es-CO) title. */
export const ERROR_CATALOG = {
  VALIDATION_FAILED: { status: 400, title: 'Los datos enviados no son válidos' },
  MALFORMED_JSON: { status: 400, title: 'El cuerpo de la solicitud no es JSON válido' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'El cuerpo debe enviarse como application/json' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'El cuerpo de la solicitud es demasiado grande' },
  ROUTE_NOT_FOUND: { status: 404, title: 'La ruta solicitada no existe' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Método no permitido para esta ruta' },
  UNAUTHENTICATED: { status: 401, title: 'Se requiere autenticación' },
  INVALID_TOKEN: { status: 401, title: 'El token de acceso no es válido o expiró' },
  INVALID_CREDENTIALS: { status: 401, title: 'Correo o contraseña incorrectos' },
  INVALID_REFRESH_TOKEN: { status: 401, title: 'La sesión no es válida o expiró' },
  REFRESH_TOKEN_REUSED: { status: 401, title: 'La sesión fue revocada por seguridad' },
  FORBIDDEN: { status: 403, title: 'No tiene permiso para esta operación' },
  ACCOUNT_LOCKED: { status: 423, title: 'La cuenta está bloqueada temporalmente' },
  TOO_MANY_REQUESTS: { status: 429, title: 'Demasiadas solicitudes' },
  EMAIL_ALREADY_REGISTERED: { status: 409, title: 'El correo ya está registrado' },
  DOCUMENT_ALREADY_REGISTERED: { status: 409, title: 'El documento ya está registrado' },
  WEAK_PASSWORD: { status: 400, title: 'La contraseña no es segura' },
  USER_NOT_FOUND: { status: 404, title: 'El usuario no existe' },
  TERMS_NOT_ACCEPTED: { status: 400, title: 'Debe aceptar la política de tratamiento de datos personales' },
  INVALID_ACCOUNT_TOKEN: { status: 400, title: 'El enlace no es válido, ya se usó o venció' },
  EMAIL_ALREADY_VERIFIED: { status: 409, title: 'El correo ya está verificado' },
  INVALID_CURRENT_PASSWORD: { status: 400, title: 'La contraseña actual no es correcta' },
  ACCOUNT_NOT_DELETABLE: { status: 403, title: 'Esta cuenta no se puede eliminar desde la aplicación' },
  CONTRACT_NOT_FOUND: { status: 404, title: 'El contrato no existe' },
  INVOICE_NOT_FOUND: { status: 404, title: 'La factura no existe' },
  INVOICE_ALREADY_PAID: { status: 409, title: 'La factura ya fue pagada' },
  PAYMENT_IN_PROGRESS: { status: 409, title: 'Hay un pago en proceso para esta factura' },
  PAYMENT_NOT_FOUND: { status: 404, title: 'Pago no encontrado' },
  CHECKOUT_LINK_INVALID: { status: 400, title: 'El enlace de pago no es válido' },
  DIRECT_PAYMENT_DISABLED: { status: 403, title: 'Pague a través de la pasarela (POST /payments)' },
  GATEWAY_TRANSACTION_NOT_FOUND: { status: 404, title: 'La transacción no existe en la pasarela' },
  INVALID_EVENT_SIGNATURE: { status: 401, title: 'La firma del evento no es válida' },
  COUPON_NOT_FOUND: { status: 404, title: 'El cupón no existe' },
  COUPON_EXPIRED: { status: 409, title: 'El cupón expiró' },
  COUPON_CANCELLED: { status: 409, title: 'El cupón fue anulado' },
  COUPON_ALREADY_USED: { status: 409, title: 'El cupón ya fue usado' },
  COUPON_INVOICE_MISMATCH: { status: 422, title: 'El cupón no corresponde a esta factura' },
  COUPON_NOT_ACTIVE: { status: 409, title: 'El cupón no está activo' },
  IDEMPOTENCY_KEY_REQUIRED: { status: 400, title: 'Falta el encabezado Idempotency-Key' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'La Idempotency-Key ya se usó con otra solicitud' },
  IDEMPOTENCY_REQUEST_IN_PROGRESS: { status: 409, title: 'Una solicitud con esta Idempotency-Key sigue en curso' },
  TRANSACTION_NOT_FOUND: { status: 404, title: 'La transacción no existe' },
  TRANSACTION_NOT_REVERSIBLE: { status: 409, title: 'La transacción no se puede reversar' },
  ALREADY_REVERSED: { status: 409, title: 'La transacción ya fue reversada' },
  NOTIFICATION_NOT_FOUND: { status: 404, title: 'La notificación no existe' },
  IMPORT_NOT_FOUND: { status: 404, title: 'La carga de facturas no existe' },
  IMPORT_FILE_INVALID: { status: 422, title: 'El archivo de facturas no tiene el formato esperado' },
  COLLECTION_NOT_FOUND: { status: 404, title: 'El archivo de recaudo no existe' },
  COLLECTION_RECORD_NOT_FOUND: { status: 404, title: 'El registro de recaudo no es una excepción o no existe' },
  COLLECTION_EXCEPTION_RESOLVED: { status: 409, title: 'La excepción de recaudo ya fue resuelta' },
  POISON_MESSAGE_NOT_FOUND: { status: 404, title: 'El mensaje no está en la cola de mensajes fallidos' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'El servicio no está disponible en este momento' },
  INTERNAL_ERROR: { status: 500, title: 'Error interno del servidor' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export interface FieldError {
  /** Dotted path of the offending field, e.g. `body.email` or `query.limit`. */
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    detail?: string,
    readonly extras: {
      errors?: FieldError[];
      retryAfterSeconds?: number;
      headers?: Record<string, string>;
      /** Members the problem carries besides the standard ones (RFC 9457 extensions), e.g. `paymentId`. */
      extensions?: Record<string, string>;
    } = {},
  ) {
    super(detail ?? ERROR_CATALOG[code].title);
    this.name = 'AppError';
    this.status = ERROR_CATALOG[code].status;
  }
}
