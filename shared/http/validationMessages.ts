import type { z } from 'zod';

/**
 * Our own Spanish (es-CO, usted) message for every kind of validation issue, so that no library
 * text ("Demasiado pequeño: se esperaba que número fuera >=1") reaches a screen. A schema's own
 * message (a field rule that explains itself) still wins over these.
 */
const TYPES: Record<string, string> = {
  string: 'texto',
  number: 'un número',
  int: 'un número entero',
  boolean: 'verdadero o falso',
  object: 'un objeto',
  array: 'una lista',
};

const FORMATS: Record<string, string> = {
  email: 'Ingrese un correo electrónico válido.',
  uuid: 'El identificador no es válido.',
  guid: 'El identificador no es válido.',
  datetime: 'Use una fecha y hora ISO 8601 (por ejemplo 2026-12-17T15:00:00Z).',
  date: 'Use una fecha AAAA-MM-DD.',
  regex: 'El formato no es válido.',
};

function sizeMessage(issue: { origin?: string; minimum?: unknown; maximum?: unknown }, side: 'min' | 'max'): string {
  const limit = String(side === 'min' ? issue.minimum : issue.maximum);
  switch (issue.origin) {
    case 'string':
      return side === 'min'
        ? limit === '1'
          ? 'Este campo no puede estar vacío.'
          : `Use al menos ${limit} caracteres.`
        : `Use como máximo ${limit} caracteres.`;
    case 'array':
    case 'set':
      return side === 'min' ? `Incluya al menos ${limit} elementos.` : `Incluya como máximo ${limit} elementos.`;
    default:
      return side === 'min' ? `Debe ser ${limit} o más.` : `Debe ser ${limit} o menos.`;
  }
}

export const spanishValidationMessages: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? 'Este campo es obligatorio.'
        : `Debe ser ${TYPES[issue.expected] ?? 'de otro tipo'}.`;
    case 'too_small':
      return sizeMessage(issue, 'min');
    case 'too_big':
      return sizeMessage(issue, 'max');
    case 'invalid_format':
      return FORMATS[issue.format] ?? 'El formato no es válido.';
    case 'invalid_value':
      return `Use uno de estos valores: ${issue.values.map(String).join(', ')}.`;
    case 'unrecognized_keys':
      return `Campos no admitidos: ${issue.keys.join(', ')}.`;
    case 'not_multiple_of':
      return `Debe ser múltiplo de ${String(issue.divisor)}.`;
    default:
      return 'El valor no es válido.';
  }
};
