import type { AccountEmailKind } from '../models/message.model';
import { renderEmailBody } from './emails';
import { formatBogotaTime } from './texts';

/** An account email: what happened and when; a link and the code in it for the two that carry a token. */
export interface AccountEmailData {
  kind: AccountEmailKind;
  fullName: string;
  occurredAt: Date;
  /** verify-email and password-reset: the single-use code, the page that takes it, and until when it works. */
  token?: { value: string; url: string; expiresAt: Date };
  via?: 'change' | 'reset';
}

/** The Spanish (es-CO, "usted") subject, HTML and text of an account email, from the event alone. */
export function renderAccountEmail(d: AccountEmailData): { subject: string; html: string; text: string } {
  const when = formatBogotaTime(d.occurredAt);
  switch (d.kind) {
    case 'verify-email': {
      const token = required(d);
      return {
        subject: 'Confirme su correo para Cuponeras EPM',
        ...renderEmailBody({
          fullName: d.fullName,
          paragraphs: [
            `Usted creó una cuenta en Cuponeras EPM el ${when}. Confirme que este correo es suyo: a él le enviaremos sus facturas y comprobantes de pago.`,
            `El enlace sirve una sola vez y vence el ${formatBogotaTime(token.expiresAt)}. Si no creó esta cuenta, ignore este correo.`,
          ],
          action: { label: 'Confirmar mi correo', url: token.url },
          rows: [['Código de verificación', token.value]],
        }),
      };
    }
    case 'password-reset': {
      const token = required(d);
      return {
        subject: 'Restablezca su contraseña de Cuponeras EPM',
        ...renderEmailBody({
          fullName: d.fullName,
          paragraphs: [
            `Recibimos una solicitud para restablecer su contraseña el ${when}.`,
            `El enlace sirve una sola vez y vence el ${formatBogotaTime(token.expiresAt)} (30 minutos). Al usarlo se cerrarán todas sus sesiones. Si no pidió este cambio, ignore este correo: su contraseña sigue igual.`,
          ],
          action: { label: 'Elegir una contraseña nueva', url: token.url },
          rows: [['Código para restablecer', token.value]],
        }),
      };
    }
    case 'password-changed':
      return {
        subject: 'Su contraseña de Cuponeras EPM cambió',
        ...renderEmailBody({
          fullName: d.fullName,
          paragraphs: [
            d.via === 'reset'
              ? `Su contraseña se restableció con el enlace enviado a este correo el ${when}. Se cerraron todas sus sesiones.`
              : `Su contraseña se cambió el ${when}. Se cerraron todas sus otras sesiones.`,
            'Si no fue usted, restablezca su contraseña de inmediato y escríbanos a protecciondedatos@epm.com.co.',
          ],
        }),
      };
  }
}

function required(d: AccountEmailData): NonNullable<AccountEmailData['token']> {
  if (!d.token) throw new Error(`a ${d.kind} email needs its token`);
  return d.token;
}
