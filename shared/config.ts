import path from 'node:path';

import { z } from 'zod';

import { isValidGln } from './gs1';

/**
 * Every setting the app reads, validated once. The same names work as Azure app settings, in
 * local.settings.json ("Values") and as environment variables; local.settings.example.json
 * documents each one with a safe example value.
 */

/** The example secret shipped in local.settings.example.json; refused outside development. */
export const EXAMPLE_JWT_SECRET = 'dev-only-secret-change-me-0123456789abcdef';

/**
 * The embedded gateway sandbox's keys (README, "Payments"): published on purpose, like Azurite's
 * account key; refused in production with the sandbox itself.
 */
export const SANDBOX_KEYS = {
  publicKey: 'pub_test_cuponeras_sandbox',
  privateKey: 'prv_test_cuponeras_sandbox',
  integritySecret: 'test_integrity_cuponeras_sandbox',
  eventsSecret: 'test_events_cuponeras_sandbox',
} as const;

/** Operator uploads of billing and bank files: 50 MiB unless UPLOAD_MAX_BYTES says otherwise. */
export const DEFAULT_UPLOAD_MAX_BYTES = 50 * 1024 * 1024;

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const csv = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

const settingsSchema = z
  .object({
    APP_ENV: z.enum(['development', 'test', 'production']).default('development'),
    DATA_DIR: z.string().min(1).default('.data'),

    DB_ENGINE: z.enum(['sqlite', 'mssql']).default('sqlite'),
    SQLITE_FILE: z.string().min(1).optional(),
    SQL_SERVER: z.string().min(1).optional(),
    SQL_DATABASE: z.string().min(1).optional(),
    SQL_PORT: integer(1, 65535).default(1433),
    SQL_AUTH: z.enum(['default-credential', 'managed-identity', 'sql-password']).default('default-credential'),
    SQL_USER: z.string().optional(),
    SQL_PASSWORD: z.string().optional(),
    SQL_CLIENT_ID: z.string().optional(),
    SQL_POOL_MAX: integer(1, 100).default(10),
    SQL_ENCRYPT: z.enum(['true', 'false']).default('true'),

    AzureWebJobsStorage: z.string().optional(),
    AzureWebJobsStorage__queueServiceUri: z.string().url().optional(),
    AzureWebJobsStorage__accountName: z.string().optional(),
    AzureWebJobsStorage__clientId: z.string().optional(),
    AzureWebJobsStorage__blobServiceUri: z.string().url().optional(),

    JWT_ALGORITHM: z.enum(['HS256', 'RS256']).default('HS256'),
    JWT_SECRET: z.string().optional(),
    JWT_PRIVATE_KEY: z.string().optional(),
    JWT_PUBLIC_KEY: z.string().optional(),
    JWT_ISSUER: z.string().min(1).default('https://cuponeras.epm.com.co'),
    JWT_AUDIENCE: z.string().min(1).default('cuponeras-epm-api'),
    ACCESS_TOKEN_TTL_SECONDS: integer(60, 3600).default(900),
    REFRESH_TOKEN_TTL_DAYS: integer(1, 90).default(14),
    BCRYPT_COST: integer(10, 15).default(12),
    SESSION_CACHE_SECONDS: integer(0, 60).default(5),
    LOGIN_MAX_FAILURES: integer(1, 100).default(5),
    LOGIN_FAILURE_WINDOW_MINUTES: integer(1, 1440).default(15),
    LOGIN_LOCK_MINUTES: integer(1, 1440).default(15),
    LOGIN_MAX_ATTEMPTS_PER_CLIENT: integer(1, 10000).default(30),
    LOGIN_CLIENT_WINDOW_MINUTES: integer(1, 1440).default(5),

    CORS_ORIGINS: csv.default([]),
    MAX_BODY_BYTES: integer(256, 10 * 1024 * 1024).default(64 * 1024),
    UPLOAD_MAX_BYTES: integer(1024, 100 * 1024 * 1024).default(DEFAULT_UPLOAD_MAX_BYTES),
    TRUSTED_PROXY_HOPS: integer(0, 5).default(0),

    COUPON_VALIDITY_HOURS: integer(1, 24 * 30).default(72),
    COUPON_OVERDUE_VALIDITY_HOURS: integer(1, 72).default(4),
    BILLER_GLN: z
      .string()
      .refine(isValidGln, 'must be a 13-digit GLN with a valid GS1 check digit')
      .default('7707181010011'),
    EXPIRE_COUPONS_SCHEDULE: z.string().min(1).default('0 */5 * * * *'),
    OUTBOX_DISPATCH_SCHEDULE: z.string().min(1).default('*/30 * * * * *'),
    OUTBOX_DELIVERY_LEASE_SECONDS: integer(5, 86_400).default(300),
    IDEMPOTENCY_LOCK_SECONDS: integer(5, 600).default(60),

    EMAIL_MODE: z.enum(['outbox', 'acs']).default('outbox'),
    EMAIL_MAX_PER_USER_PER_HOUR: integer(1, 1000).default(10),
    REGISTER_MAX_PER_CLIENT_PER_HOUR: integer(1, 100_000).default(10),
    SEARCH_MAX_PER_USER_PER_MINUTE: integer(1, 100_000).default(30),
    SEARCH_MAX_CONTRACTS_PER_USER_PER_DAY: integer(1, 100_000).default(200),
    COUPON_LOOKUPS_MAX_PER_USER_PER_MINUTE: integer(1, 100_000).default(60),
    GUEST_SEARCH_MAX_PER_CLIENT_PER_MINUTE: integer(1, 100_000).default(10),
    GUEST_SEARCH_MAX_CONTRACTS_PER_CLIENT_PER_DAY: integer(1, 100_000).default(20),
    GUEST_DATA_RETENTION_DAYS: integer(1, 3650).default(90),
    PASSWORD_RESET_MAX_PER_EMAIL_PER_HOUR: integer(1, 1000).default(3),
    PASSWORD_RESET_MAX_PER_CLIENT_PER_HOUR: integer(1, 100_000).default(10),
    VERIFICATION_EMAIL_MAX_PER_USER_PER_HOUR: integer(1, 1000).default(3),
    FRONTEND_URL: z.string().url().default('https://cuponeras.epm.com.co'),
    WARN_EXPIRING_COUPONS_SCHEDULE: z.string().min(1).default('0 */15 * * * *'),
    PURGE_SCHEDULE: z.string().min(1).default('0 0 8 * * *'),
    NOTIFY_INVOICES_SCHEDULE: z.string().min(1).default('0 0 13 * * *'),
    EMAIL_SENDER: z.string().email().default('DoNotReply@cuponeras.epm.com.co'),
    ACS_ENDPOINT: z.string().url().optional(),
    ACS_CONNECTION_STRING: z.string().optional(),
    PAYMENT_PROVIDER: z.enum(['sandbox', 'wompi']).default('sandbox'),
    WOMPI_PUBLIC_KEY: z.string().min(1).max(200).optional(),
    WOMPI_PRIVATE_KEY: z.string().min(1).max(200).optional(),
    WOMPI_INTEGRITY_SECRET: z.string().min(1).max(200).optional(),
    WOMPI_EVENTS_SECRET: z.string().min(1).max(200).optional(),
    WOMPI_API_URL: z.string().url().optional(),
    WOMPI_CHECKOUT_URL: z.string().url().optional(),
    PAYMENT_RETURN_URL: z.string().url().optional(),
    PAYMENT_TTL_MINUTES: integer(5, 24 * 60).default(30),
    PAYMENT_RECONCILE_AFTER_SECONDS: integer(5, 3600).default(120),
    RECONCILE_PAYMENTS_SCHEDULE: z.string().min(1).default('0 * * * * *'),
    SYSTEM_REPORT_SCHEDULE: z.string().min(1).default('0 */5 * * * *'),

    // Telemetry (docs/operations.md): Application Insights when its connection string is set,
    // else OTLP when an endpoint is, else off. The OTEL_* settings the SDK reads keep their meaning.
    APPLICATIONINSIGHTS_CONNECTION_STRING: z.string().min(1).optional(),
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: z
      .string()
      .regex(
        /^Authorization=AAD(;ClientId=[\w-]+)?$/,
        'must be "Authorization=AAD" or "Authorization=AAD;ClientId=<id>"',
      )
      .optional(),
    OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
    ALLOW_LOCAL_DEFAULTS_IN_PRODUCTION: z.enum(['true', 'false']).default('false'),
    /** Set by Azure App Service / Functions on every instance: we are running in Azure. */
    WEBSITE_SITE_NAME: z.string().optional(),
  })
  .superRefine((s, ctx) => {
    const require = (name: keyof typeof s, why: string) => {
      if (s[name] === undefined || s[name] === '') {
        ctx.addIssue({ code: 'custom', path: [name], message: `is required ${why}` });
      }
    };
    if (s.DB_ENGINE === 'mssql') {
      require('SQL_SERVER', 'when DB_ENGINE=mssql');
      require('SQL_DATABASE', 'when DB_ENGINE=mssql');
      if (s.SQL_AUTH === 'sql-password') {
        require('SQL_USER', 'when SQL_AUTH=sql-password');
        require('SQL_PASSWORD', 'when SQL_AUTH=sql-password');
      }
    }
    if (!s.AzureWebJobsStorage && !s.AzureWebJobsStorage__queueServiceUri && !s.AzureWebJobsStorage__accountName) {
      ctx.addIssue({
        code: 'custom',
        path: ['AzureWebJobsStorage'],
        message: 'is required (or AzureWebJobsStorage__queueServiceUri / __accountName for managed identity)',
      });
    }
    if (s.JWT_ALGORITHM === 'HS256') {
      if (!s.JWT_SECRET || s.JWT_SECRET.length < 32) {
        ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'must be at least 32 characters for HS256' });
      }
    } else {
      require('JWT_PRIVATE_KEY', 'when JWT_ALGORITHM=RS256');
      require('JWT_PUBLIC_KEY', 'when JWT_ALGORITHM=RS256');
    }
    if (s.EMAIL_MODE === 'acs' && !s.ACS_ENDPOINT && !s.ACS_CONNECTION_STRING) {
      ctx.addIssue({
        code: 'custom',
        path: ['ACS_ENDPOINT'],
        message: 'or ACS_CONNECTION_STRING is required when EMAIL_MODE=acs',
      });
    }
    if (s.PAYMENT_PROVIDER === 'wompi') {
      for (const name of [
        'WOMPI_PUBLIC_KEY',
        'WOMPI_PRIVATE_KEY',
        'WOMPI_INTEGRITY_SECRET',
        'WOMPI_EVENTS_SECRET',
        'WOMPI_API_URL',
        'WOMPI_CHECKOUT_URL',
      ] as const)
        require(name, 'when PAYMENT_PROVIDER=wompi');
    }
    const strict = s.APP_ENV === 'production' || s.WEBSITE_SITE_NAME !== undefined;
    if (strict && s.ALLOW_LOCAL_DEFAULTS_IN_PRODUCTION !== 'true') {
      if (s.JWT_SECRET === EXAMPLE_JWT_SECRET) {
        ctx.addIssue({
          code: 'custom',
          path: ['JWT_SECRET'],
          message: 'is the example secret; set a real one in production (in Azure: the Key Vault reference)',
        });
      }
      if (s.DB_ENGINE === 'sqlite') {
        ctx.addIssue({
          code: 'custom',
          path: ['DB_ENGINE'],
          message: 'is sqlite, a local default; use mssql in production',
        });
      }
      if (s.EMAIL_MODE === 'outbox') {
        ctx.addIssue({
          code: 'custom',
          path: ['EMAIL_MODE'],
          message: 'is outbox, a local default; use acs in production',
        });
      }
      if (s.PAYMENT_PROVIDER === 'sandbox') {
        ctx.addIssue({
          code: 'custom',
          path: ['PAYMENT_PROVIDER'],
          message: 'is sandbox, a local default; use wompi in production',
        });
      }
    }
  });

export type Settings = z.infer<typeof settingsSchema>;

export interface Config {
  env: Settings['APP_ENV'];
  dataDir: string;
  database:
    | { engine: 'sqlite'; file: string }
    | {
        engine: 'mssql';
        server: string;
        database: string;
        port: number;
        auth: Settings['SQL_AUTH'];
        user?: string;
        password?: string;
        clientId?: string;
        poolMax: number;
        encrypt: boolean;
      };
  queues: { connectionString?: string; serviceUri?: string; clientId?: string };
  /** The same storage account's blobs: the billing feed's and the banks' files. */
  blobs: { connectionString?: string; serviceUri?: string; clientId?: string };
  jwt: {
    algorithm: 'HS256' | 'RS256';
    signingKey: string;
    verifyKey: string;
    issuer: string;
    audience: string;
    accessTokenTtlSeconds: number;
    refreshTokenTtlDays: number;
  };
  auth: {
    bcryptCost: number;
    /** How long an instance trusts a session it found active (0: check the database every request). */
    sessionCacheMs: number;
    maxFailures: number;
    failureWindowMinutes: number;
    lockMinutes: number;
    maxAttemptsPerClient: number;
    clientWindowMinutes: number;
  };
  http: {
    corsOrigins: string[];
    maxBodyBytes: number;
    /** Operator uploads of billing and collection files (text/csv, text/plain). */
    maxUploadBytes: number;
    trustedProxyHops: number;
    /** How long an Idempotency-Key stays locked by a request whose host may have died. */
    idempotencyLockMs: number;
  };
  /** Per-client and per-user quotas on the costly routes (429 + Retry-After beyond them). */
  quotas: {
    registrationsPerClientPerHour: number;
    searchesPerUserPerMinute: number;
    searchedContractsPerUserPerDay: number;
    couponLookupsPerUserPerMinute: number;
    passwordResetsPerEmailPerHour: number;
    passwordResetsPerClientPerHour: number;
    verificationEmailsPerUserPerHour: number;
    /** Paying without an account: guest searches and payments per client (address). */
    guestSearchesPerClientPerMinute: number;
    guestContractsPerClientPerDay: number;
  };
  /** Habeas data: how long a guest payer's email is kept (then erased; the payment stays). */
  guests: { dataRetentionDays: number };
  coupons: { validityHours: number; overdueValidityHours: number; billerGln: string };
  schedules: {
    expireCoupons: string;
    dispatchOutbox: string;
    warnExpiringCoupons: string;
    purge: string;
    notifyInvoices: string;
    reconcilePayments: string;
    reportSystem: string;
  };
  /** How long a consumer has to confirm a message before the outbox sweeper sends it again. */
  delivery: { leaseMs: number };
  /** The payment gateway (docs/payments.md): Wompi, or the embedded Wompi-compatible sandbox. */
  payments: {
    provider: 'sandbox' | 'wompi';
    publicKey: string;
    privateKey: string;
    integritySecret: string;
    eventsSecret: string;
    apiUrl: string;
    checkoutUrl: string;
    returnUrl: string;
    ttlMinutes: number;
    /** How long a PENDING payment waits for its event before the reconciler asks the gateway. */
    reconcileAfterSeconds: number;
  };
  email: {
    mode: 'outbox' | 'acs';
    sender: string;
    outboxDir: string;
    maxPerUserPerHour: number;
    /** The web app the links in account emails open (verify the email, reset the password). */
    frontendUrl: string;
    acsEndpoint?: string;
    acsConnectionString?: string;
  };
  telemetry: TelemetryChoice;
}

/** Where telemetry goes: Application Insights (with Entra sign-in when asked), an OTLP collector, or nowhere. */
export type TelemetryChoice =
  | { exporter: 'azure-monitor'; connectionString: string; entra?: { clientId?: string } }
  | { exporter: 'otlp'; endpoint: string }
  | { exporter: 'off' };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses settings from an environment-like record; throws ConfigError naming each bad setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = settingsSchema.safeParse(withoutEmptyStrings(env));
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(settings)'} ${issue.message}`),
    );
  }
  const s = parsed.data;
  const dataDir = path.resolve(s.DATA_DIR);
  return {
    env: s.APP_ENV,
    dataDir,
    database:
      s.DB_ENGINE === 'sqlite'
        ? { engine: 'sqlite', file: path.resolve(dataDir, s.SQLITE_FILE ?? 'cuponeras.sqlite') }
        : {
            engine: 'mssql',
            server: s.SQL_SERVER ?? '',
            database: s.SQL_DATABASE ?? '',
            port: s.SQL_PORT,
            auth: s.SQL_AUTH,
            user: s.SQL_USER,
            password: s.SQL_PASSWORD,
            clientId: s.SQL_CLIENT_ID,
            poolMax: s.SQL_POOL_MAX,
            encrypt: s.SQL_ENCRYPT === 'true',
          },
    queues: {
      connectionString: s.AzureWebJobsStorage,
      serviceUri:
        s.AzureWebJobsStorage__queueServiceUri ??
        (s.AzureWebJobsStorage__accountName
          ? `https://${s.AzureWebJobsStorage__accountName}.queue.core.windows.net`
          : undefined),
      clientId: s.AzureWebJobsStorage__clientId,
    },
    blobs: {
      connectionString: s.AzureWebJobsStorage,
      serviceUri:
        s.AzureWebJobsStorage__blobServiceUri ??
        (s.AzureWebJobsStorage__accountName
          ? `https://${s.AzureWebJobsStorage__accountName}.blob.core.windows.net`
          : undefined),
      clientId: s.AzureWebJobsStorage__clientId,
    },
    jwt: {
      algorithm: s.JWT_ALGORITHM,
      signingKey: s.JWT_ALGORITHM === 'HS256' ? (s.JWT_SECRET ?? '') : (s.JWT_PRIVATE_KEY ?? ''),
      verifyKey: s.JWT_ALGORITHM === 'HS256' ? (s.JWT_SECRET ?? '') : (s.JWT_PUBLIC_KEY ?? ''),
      issuer: s.JWT_ISSUER,
      audience: s.JWT_AUDIENCE,
      accessTokenTtlSeconds: s.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlDays: s.REFRESH_TOKEN_TTL_DAYS,
    },
    auth: {
      bcryptCost: s.BCRYPT_COST,
      sessionCacheMs: s.SESSION_CACHE_SECONDS * 1000,
      maxFailures: s.LOGIN_MAX_FAILURES,
      failureWindowMinutes: s.LOGIN_FAILURE_WINDOW_MINUTES,
      lockMinutes: s.LOGIN_LOCK_MINUTES,
      maxAttemptsPerClient: s.LOGIN_MAX_ATTEMPTS_PER_CLIENT,
      clientWindowMinutes: s.LOGIN_CLIENT_WINDOW_MINUTES,
    },
    http: {
      corsOrigins: s.CORS_ORIGINS,
      maxBodyBytes: s.MAX_BODY_BYTES,
      maxUploadBytes: s.UPLOAD_MAX_BYTES,
      trustedProxyHops: s.TRUSTED_PROXY_HOPS,
      idempotencyLockMs: s.IDEMPOTENCY_LOCK_SECONDS * 1000,
    },
    quotas: {
      registrationsPerClientPerHour: s.REGISTER_MAX_PER_CLIENT_PER_HOUR,
      searchesPerUserPerMinute: s.SEARCH_MAX_PER_USER_PER_MINUTE,
      searchedContractsPerUserPerDay: s.SEARCH_MAX_CONTRACTS_PER_USER_PER_DAY,
      couponLookupsPerUserPerMinute: s.COUPON_LOOKUPS_MAX_PER_USER_PER_MINUTE,
      passwordResetsPerEmailPerHour: s.PASSWORD_RESET_MAX_PER_EMAIL_PER_HOUR,
      passwordResetsPerClientPerHour: s.PASSWORD_RESET_MAX_PER_CLIENT_PER_HOUR,
      verificationEmailsPerUserPerHour: s.VERIFICATION_EMAIL_MAX_PER_USER_PER_HOUR,
      guestSearchesPerClientPerMinute: s.GUEST_SEARCH_MAX_PER_CLIENT_PER_MINUTE,
      guestContractsPerClientPerDay: s.GUEST_SEARCH_MAX_CONTRACTS_PER_CLIENT_PER_DAY,
    },
    guests: { dataRetentionDays: s.GUEST_DATA_RETENTION_DAYS },
    coupons: {
      validityHours: s.COUPON_VALIDITY_HOURS,
      overdueValidityHours: s.COUPON_OVERDUE_VALIDITY_HOURS,
      billerGln: s.BILLER_GLN,
    },
    schedules: {
      expireCoupons: s.EXPIRE_COUPONS_SCHEDULE,
      dispatchOutbox: s.OUTBOX_DISPATCH_SCHEDULE,
      warnExpiringCoupons: s.WARN_EXPIRING_COUPONS_SCHEDULE,
      purge: s.PURGE_SCHEDULE,
      notifyInvoices: s.NOTIFY_INVOICES_SCHEDULE,
      reconcilePayments: s.RECONCILE_PAYMENTS_SCHEDULE,
      reportSystem: s.SYSTEM_REPORT_SCHEDULE,
    },
    delivery: { leaseMs: s.OUTBOX_DELIVERY_LEASE_SECONDS * 1000 },
    payments: paymentSettings(s),
    email: {
      mode: s.EMAIL_MODE,
      sender: s.EMAIL_SENDER,
      outboxDir: path.join(dataDir, 'outbox'),
      maxPerUserPerHour: s.EMAIL_MAX_PER_USER_PER_HOUR,
      frontendUrl: s.FRONTEND_URL.replace(/\/+$/, ''),
      acsEndpoint: s.ACS_ENDPOINT,
      acsConnectionString: s.ACS_CONNECTION_STRING,
    },
    telemetry: telemetryChoice(s),
  };
}

function telemetryChoice(s: z.output<typeof settingsSchema>): TelemetryChoice {
  if (s.APPLICATIONINSIGHTS_CONNECTION_STRING) {
    const auth = s.APPLICATIONINSIGHTS_AUTHENTICATION_STRING;
    const clientId = auth?.match(/ClientId=([\w-]+)/)?.[1];
    return {
      exporter: 'azure-monitor',
      connectionString: s.APPLICATIONINSIGHTS_CONNECTION_STRING,
      ...(auth ? { entra: clientId ? { clientId } : {} } : {}),
    };
  }
  if (s.OTEL_EXPORTER_OTLP_ENDPOINT) return { exporter: 'otlp', endpoint: s.OTEL_EXPORTER_OTLP_ENDPOINT };
  return { exporter: 'off' };
}

/** The sandbox as `npm start` serves it: the app's own routes on the local host's port (7071). */
export const LOCAL_SANDBOX_PAYMENTS: Config['payments'] = {
  provider: 'sandbox',
  ...SANDBOX_KEYS,
  apiUrl: 'http://localhost:7071/api/sandbox/v1',
  checkoutUrl: 'http://localhost:7071/api/sandbox/checkout',
  returnUrl: 'http://localhost:5173/pagos/resultado',
  ttlMinutes: 30,
  reconcileAfterSeconds: 120,
};

function paymentSettings(s: Settings): Config['payments'] {
  const defaults = s.PAYMENT_PROVIDER === 'sandbox' ? LOCAL_SANDBOX_PAYMENTS : undefined;
  return {
    provider: s.PAYMENT_PROVIDER,
    publicKey: s.WOMPI_PUBLIC_KEY ?? defaults?.publicKey ?? '',
    privateKey: s.WOMPI_PRIVATE_KEY ?? defaults?.privateKey ?? '',
    integritySecret: s.WOMPI_INTEGRITY_SECRET ?? defaults?.integritySecret ?? '',
    eventsSecret: s.WOMPI_EVENTS_SECRET ?? defaults?.eventsSecret ?? '',
    apiUrl: (s.WOMPI_API_URL ?? LOCAL_SANDBOX_PAYMENTS.apiUrl).replace(/\/+$/, ''),
    checkoutUrl: s.WOMPI_CHECKOUT_URL ?? LOCAL_SANDBOX_PAYMENTS.checkoutUrl,
    returnUrl: s.PAYMENT_RETURN_URL ?? `${s.FRONTEND_URL.replace(/\/+$/, '')}/pagos/resultado`,
    ttlMinutes: s.PAYMENT_TTL_MINUTES,
    reconcileAfterSeconds: s.PAYMENT_RECONCILE_AFTER_SECONDS,
  };
}

/** Azure leaves unset app settings as empty strings; treat them as absent so defaults apply. */
function withoutEmptyStrings(env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') result[key] = value;
  }
  return result;
}

let cached: Config | undefined;

/** The process-wide configuration, read once on first use. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

/** Forget the cached configuration (tests that change the environment). */
export function resetConfig(): void {
  cached = undefined;
}

/** Every setting name the app reads (for the Azure settings map and its test). */
export const SETTING_NAMES = Object.keys(settingsSchema.shape);
