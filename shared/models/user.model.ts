import { z } from 'zod';

import { asDate, asOptionalDate, type DbOrTx, isUniqueViolation } from '../clients/sql.client';
import { AppError } from '../errors';
import { chunks } from './insertRows';

export const ROLES = ['customer', 'operator'] as const;
export type Role = (typeof ROLES)[number];
export const DOCUMENT_TYPES = ['CC', 'CE', 'NIT', 'PA', 'TI'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** The user as the API shows it: never a hash, never lockout state. */
export interface User {
  id: string;
  email: string;
  fullName: string;
  documentType: DocumentType;
  documentNumber: string;
  phone: string | null;
  role: Role;
  createdAt: Date;
  emailVerifiedAt: Date | null;
  /** Set when the person asked to be forgotten: the row is a pseudonym from then on. */
  deletedAt: Date | null;
}

export interface UserWithCredentials extends User {
  passwordHash: string;
}

interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  full_name: string;
  document_type: DocumentType;
  document_number: string;
  phone: string | null;
  role: Role;
  created_at: unknown;
  updated_at: unknown;
  email_verified_at: unknown;
  deleted_at: unknown;
}

// ---- Input schemas (runtime check and TypeScript type in one) ----

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'Ingrese un correo electrónico válido.' }));

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const passwordSchema = z
  .string()
  .min(PASSWORD_MIN, `La contraseña debe tener al menos ${PASSWORD_MIN} caracteres (se recomiendan 15 o más).`)
  .max(PASSWORD_MAX, `La contraseña puede tener hasta ${PASSWORD_MAX} caracteres.`);

/** NIT check digit per DIAN (weights 3, 7, 13, … over the digits from the right). */
export function nitCheckDigit(base: string): number {
  const weights = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71];
  const sum = [...base].reverse().reduce((acc, digit, i) => acc + Number(digit) * (weights[i] ?? 0), 0);
  const rest = sum % 11;
  return rest > 1 ? 11 - rest : rest;
}

const DOCUMENT_RULES: Record<DocumentType, { pattern: RegExp; message: string }> = {
  CC: { pattern: /^\d{6,10}$/, message: 'La cédula de ciudadanía tiene de 6 a 10 dígitos.' },
  CE: { pattern: /^[A-Z0-9]{6,12}$/, message: 'La cédula de extranjería tiene de 6 a 12 caracteres alfanuméricos.' },
  TI: { pattern: /^\d{10,11}$/, message: 'La tarjeta de identidad tiene 10 u 11 dígitos.' },
  NIT: { pattern: /^\d{9}-\d$/, message: 'El NIT tiene 9 dígitos y dígito de verificación (900123456-8).' },
  PA: { pattern: /^[A-Z0-9]{5,20}$/, message: 'El pasaporte tiene de 5 a 20 caracteres alfanuméricos.' },
};

/** Normalises a document number (spaces, dots, case; NIT check digit separated by a dash). */
export function normaliseDocumentNumber(type: DocumentType, raw: string): string {
  const compact = raw.replace(/[\s.]/g, '').toUpperCase();
  if (type === 'NIT') {
    const digits = compact.replace(/-/g, '');
    return /^\d{10}$/.test(digits) ? `${digits.slice(0, 9)}-${digits.slice(9)}` : compact;
  }
  return compact;
}

/** Colombian mobile (3xx xxx xxxx) or landline (60x xxx xxxx) numbers, stored as E.164. */
export const phoneSchema = z
  .string()
  .max(30, 'Ingrese un celular (3001234567) o fijo (6041234567) colombiano.')
  .transform((raw) => raw.replace(/[\s().-]/g, ''))
  .transform((compact) => compact.replace(/^(\+57|0057|57(?=\d{10}$))/, ''))
  .refine(
    (national) => /^(3\d{9}|60\d{8})$/.test(national),
    'Ingrese un celular (3001234567) o fijo (6041234567) colombiano.',
  )
  .transform((national) => `+57${national}`);

export const fullNameSchema = z
  .string()
  .trim()
  .min(3, 'Ingrese su nombre completo.')
  .max(120)
  .regex(/^[\p{L}][\p{L} .'-]*$/u, 'El nombre solo puede tener letras, espacios, puntos, apóstrofos y guiones.')
  // The document spells the letters out: tools that read it (Spectral's example check) match
  // patterns without Unicode classes. The server accepts letters of any alphabet.
  .meta({
    pattern: "^[A-Za-zÀ-ÖØ-öø-ɏ][A-Za-zÀ-ÖØ-öø-ɏ .'-]*$",
    description: 'Letters (of any alphabet), spaces, dots, apostrophes and hyphens; starts with a letter',
  });

export const documentTypeSchema = z.enum(DOCUMENT_TYPES, { message: 'Tipo de documento: CC, CE, NIT, PA o TI.' });
/** As typed; checked and normalised against its type by withValidDocument. */
export const documentNumberSchema = z.string().trim().min(1).max(20);

/** No policy at login: a too-short password is simply wrong, with the same answer as any other. */
export const loginPasswordSchema = z.string().min(1, 'Ingrese su contraseña.').max(PASSWORD_MAX);

/**
 * Normalises an input's document number for its document type and checks it (length, NIT check
 * digit); for `.transform()` on any object with documentType and documentNumber.
 */
export function withValidDocument<T extends { documentType: DocumentType; documentNumber: string }>(
  input: T,
  ctx: z.RefinementCtx,
): T {
  const documentNumber = normaliseDocumentNumber(input.documentType, input.documentNumber);
  const rule = DOCUMENT_RULES[input.documentType];
  if (!rule.pattern.test(documentNumber)) {
    ctx.addIssue({ code: 'custom', path: ['documentNumber'], message: rule.message });
    return z.NEVER;
  }
  if (input.documentType === 'NIT' && nitCheckDigit(documentNumber.slice(0, 9)) !== Number(documentNumber.slice(10))) {
    ctx.addIssue({
      code: 'custom',
      path: ['documentNumber'],
      message: 'El dígito de verificación del NIT no es correcto.',
    });
    return z.NEVER;
  }
  return { ...input, documentNumber };
}

export interface RegisterInput {
  email: string;
  password: string;
  fullName: string;
  documentType: DocumentType;
  documentNumber: string;
  phone?: string;
}

export interface LoginInput {
  email: string;
  password: string;
}

// ---- Output shape ----

export const userJsonSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    fullName: z.string(),
    documentType: z.enum(DOCUMENT_TYPES),
    documentNumber: z.string(),
    phone: z.string().nullable(),
    role: z.enum(ROLES),
    emailVerified: z.boolean().describe('The person proved the address is theirs (POST /auth/verify-email)'),
    createdAt: z.string(),
  })
  .meta({ id: 'User' });
export type UserJson = z.infer<typeof userJsonSchema>;

export function userToJson(user: User): UserJson {
  return {
    id: user.id,
    email: user.email,
    fullName: user.fullName,
    documentType: user.documentType,
    documentNumber: user.documentNumber,
    phone: user.phone,
    role: user.role,
    emailVerified: user.emailVerifiedAt !== null,
    createdAt: user.createdAt.toISOString(),
  };
}

// ---- Queries ----

function fromRow(row: UserRow): UserWithCredentials {
  return {
    id: row.id,
    email: row.email,
    fullName: row.full_name,
    documentType: row.document_type,
    documentNumber: row.document_number,
    phone: row.phone,
    role: row.role,
    createdAt: asDate(row.created_at),
    emailVerifiedAt: asOptionalDate(row.email_verified_at),
    deletedAt: asOptionalDate(row.deleted_at),
    passwordHash: row.password_hash,
  };
}

export const userQueries = {
  byEmail: (db: DbOrTx, email: string) => db<UserRow>('users').where({ email }).first(),
  byId: (db: DbOrTx, id: string) => db<UserRow>('users').where({ id }).first(),
  byDocument: (db: DbOrTx, documentType: DocumentType, documentNumber: string) =>
    db<UserRow>('users').where({ document_type: documentType, document_number: documentNumber }).first('id'),
};

export async function findUserByEmail(db: DbOrTx, email: string): Promise<UserWithCredentials | undefined> {
  const row = await userQueries.byEmail(db, email);
  return row ? fromRow(row) : undefined;
}

export async function findUserById(db: DbOrTx, id: string): Promise<UserWithCredentials | undefined> {
  const row = await userQueries.byId(db, id);
  return row ? fromRow(row) : undefined;
}

/** The accounts among these ids (a batch of notices' people), by lower-case id; whether each is deleted. */
export async function findUsersByIds(db: DbOrTx, ids: string[]): Promise<Map<string, { deletedAt: Date | null }>> {
  const found = new Map<string, { deletedAt: Date | null }>();
  for (const part of chunks([...new Set(ids.map((id) => id.toLowerCase()))], 500)) {
    for (const row of await db('users').whereIn('id', part).select<UserRow[]>('id', 'deleted_at'))
      found.set(String(row.id).toLowerCase(), { deletedAt: asOptionalDate(row.deleted_at) });
  }
  return found;
}

export async function documentTaken(db: DbOrTx, documentType: DocumentType, documentNumber: string): Promise<boolean> {
  return (await userQueries.byDocument(db, documentType, documentNumber)) !== undefined;
}

export interface NewUser {
  id: string;
  email: string;
  passwordHash: string;
  fullName: string;
  documentType: DocumentType;
  documentNumber: string;
  phone: string | null;
  role: Role;
  now: Date;
}

/**
 * Inserts a user; a unique email or document that a concurrent registration took first throws the
 * driver's unique violation (see takenUserKey), so the caller's transaction rolls back whole.
 */
export async function insertUser(db: DbOrTx, user: NewUser): Promise<User> {
  await db('users').insert({
    id: user.id,
    email: user.email,
    password_hash: user.passwordHash,
    full_name: user.fullName,
    document_type: user.documentType,
    document_number: user.documentNumber,
    phone: user.phone,
    role: user.role,
    failed_logins: 0,
    created_at: user.now,
    updated_at: user.now,
  });
  const { passwordHash: _hash, now, ...rest } = user;
  return { ...rest, createdAt: now, emailVerifiedAt: null, deletedAt: null };
}

/** After a unique violation on insert: which of the user's unique keys was taken. */
export async function takenUserKey(
  db: DbOrTx,
  error: unknown,
  email: string,
): Promise<'email' | 'document' | undefined> {
  if (!isUniqueViolation(error)) return undefined;
  return (await findUserByEmail(db, email)) ? 'email' : 'document';
}

export async function markEmailVerified(db: DbOrTx, userId: string, now: Date): Promise<void> {
  await db('users')
    .where({ id: userId })
    .whereNull('email_verified_at')
    .update({ email_verified_at: now, updated_at: now });
}

export async function updatePasswordHash(db: DbOrTx, userId: string, passwordHash: string, now: Date): Promise<void> {
  await db('users').where({ id: userId }).update({ password_hash: passwordHash, updated_at: now });
}

export async function updateProfile(
  db: DbOrTx,
  userId: string,
  changes: { fullName?: string; phone?: string | null },
  now: Date,
): Promise<void> {
  await db('users')
    .where({ id: userId })
    .update({
      ...(changes.fullName !== undefined ? { full_name: changes.fullName } : {}),
      ...(changes.phone !== undefined ? { phone: changes.phone } : {}),
      updated_at: now,
    });
}

/** What an anonymised person is called from then on: nothing that points back to them. */
export function pseudonymOf(userId: string): { email: string; fullName: string; documentNumber: string } {
  const tag = userId.replace(/-/g, '').toLowerCase();
  return {
    email: `eliminado-${tag}@anonimizado.invalid`,
    fullName: 'Titular eliminado',
    documentNumber: `X${tag.slice(0, 19)}`.toUpperCase(),
  };
}

/**
 * Habeas data: the person's name, email, document and phone replaced by a pseudonym and the
 * password made unusable, in place, so the invoices and transactions accounting keeps still have
 * their user. The real email is free again for a new registration.
 */
export async function anonymiseUser(db: DbOrTx, userId: string, unusableHash: string, now: Date): Promise<void> {
  const pseudonym = pseudonymOf(userId);
  await db('users').where({ id: userId }).whereNull('deleted_at').update({
    email: pseudonym.email,
    full_name: pseudonym.fullName,
    document_type: 'CC',
    document_number: pseudonym.documentNumber,
    phone: null,
    password_hash: unusableHash,
    deleted_at: now,
    updated_at: now,
  });
}

/** The user a token names, still active, or 404 USER_NOT_FOUND. */
export async function requireActiveUser(db: DbOrTx, userId: string): Promise<UserWithCredentials> {
  const user = await findUserById(db, userId);
  if (!user || user.deletedAt) throw new AppError('USER_NOT_FOUND', 'El usuario de este token ya no existe.');
  return user;
}
