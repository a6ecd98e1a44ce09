import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { passwordHasher } from '../clients/bcrypt.client';
import { projectRoot } from '../projectFiles';

/**
 * Passwords (OWASP ASVS 5.0 §6): the rules a new password must meet and its bcrypt hash. Used by
 * the auth use cases and by the demo seed.
 */

let commonPasswords: Set<string> | undefined;

/** The shipped list of the most common passwords (shared/data/common-passwords.txt). */
function isCommonPassword(password: string): boolean {
  if (!commonPasswords) {
    commonPasswords = new Set(
      fs
        .readFileSync(path.join(projectRoot(), 'shared/data/common-passwords.txt'), 'utf8')
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => line.trim().toLowerCase()),
    );
  }
  return commonPasswords.has(password.toLowerCase());
}

/** ASVS 5.0 V6.2: no composition rules, but no common password and nothing built from the email. */
export function passwordProblems(password: string, email: string): string | undefined {
  if (isCommonPassword(password))
    return 'Esa contraseña es muy común y fácil de adivinar. Use una frase larga (se recomiendan 15 o más caracteres).';
  const localPart = email.split('@')[0] ?? '';
  if (localPart.length >= 3 && password.toLowerCase().includes(localPart.toLowerCase())) {
    return 'La contraseña no puede contener su correo electrónico.';
  }
  return undefined;
}

/**
 * bcrypt reads only the first 72 bytes; hashing a SHA-256 digest first keeps every character of a
 * long passphrase significant (ASVS asks for at least 64 characters to be allowed).
 */
function prehash(password: string): string {
  return createHash('sha256').update(password, 'utf8').digest('base64');
}

/** The bcrypt hash, computed on the worker pool (never on the event loop). */
export function hashPassword(password: string, cost: number): Promise<string> {
  return passwordHasher().hash(prehash(password), Math.max(cost, 10));
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return passwordHasher().compare(prehash(password), hash);
}

const dummyHashes = new Map<number, Promise<string>>();
/** Compared against when the email is unknown, so both answers cost one bcrypt comparison. */
export function dummyHash(cost: number): Promise<string> {
  let hash = dummyHashes.get(cost);
  if (!hash) {
    hash = hashPassword(randomBytes(16).toString('hex'), cost);
    dummyHashes.set(cost, hash);
  }
  return hash;
}
