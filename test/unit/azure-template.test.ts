import fs from 'node:fs';
import path from 'node:path';

import { ConfigError, loadConfig, SETTING_NAMES } from '../../shared/config';
import { SYSTEM_REPORT_PREFIX, systemReport } from '../../shared/controllers/system.controller';
import { projectRoot } from '../../shared/projectFiles';

/**
 * The compiled template (the ARM JSON the Bicep CLI writes, `npm run check:infra`) against the
 * code: the settings the app needs in production are on the function app, its identity holds the
 * data-plane roles each client uses, and the site is locked down. Without the compiled template
 * (no .NET SDK here) the tests are skipped, and say so; with INFRA_CHECKS_REQUIRED=true they fail.
 */
const compiled = path.join(projectRoot(), 'test-artifacts/infra/main.json');
const hasTemplate = fs.existsSync(compiled);
if (!hasTemplate && process.env.INFRA_CHECKS_REQUIRED === 'true')
  throw new Error(`${compiled} is missing: npm run check:infra writes it (INFRA_CHECKS_REQUIRED=true)`);
if (!hasTemplate)
  console.log('Template tests skipped: no compiled template (run npm run check:infra, needs the .NET SDK).');

interface ArmResource {
  type: string;
  name: string;
  properties?: Record<string, unknown>;
  [key: string]: unknown;
}
interface ArmTemplate {
  parameters: Record<string, { defaultValue?: unknown }>;
  variables: Record<string, unknown>;
  resources: ArmResource[] | Record<string, ArmResource>;
}

const template: ArmTemplate = hasTemplate
  ? (JSON.parse(fs.readFileSync(compiled, 'utf8')) as ArmTemplate)
  : { parameters: {}, variables: {}, resources: [] };
const resources = Array.isArray(template.resources) ? template.resources : Object.values(template.resources);
const ofType = (type: string) => resources.filter((r) => r.type.toLowerCase() === type.toLowerCase());

/**
 * A value the app would see for an ARM expression, good enough for its validation: parameters
 * take their defaults, variables their values, format() is filled in, and whatever only exists
 * once deployed (reference(), resourceId(), uniqueString()…) is a plausible host name.
 */
function evaluate(value: unknown): unknown {
  if (typeof value !== 'string' || !value.startsWith('[') || value.startsWith('[[')) return value;
  return new Expression(value.slice(1, -1)).value();
}

/** A value only known once deployed (reference(), resourceId()…): its text keeps its arguments (role ids). */
class Deployed {
  constructor(
    readonly fn: string,
    readonly args: unknown[],
  ) {}

  toString(): string {
    return `${this.fn}(${this.args.map(String).join(', ')})`;
  }
}

class Expression {
  private at = 0;
  constructor(private readonly text: string) {}

  value(): unknown {
    let result = this.primary();
    // Property access and indexing of something only known once deployed: keep it plausible.
    while (this.text[this.at] === '.' || this.text[this.at] === '[') {
      if (this.text[this.at] === '.') {
        const from = ++this.at;
        while (/[\w]/.test(this.text[this.at] ?? '')) this.at++;
        this.lastProperty = this.text.slice(from, this.at);
      } else {
        this.at++;
        this.value();
        this.at++; // ']'
      }
      result =
        typeof result === 'object' && result !== null && !(result instanceof Deployed)
          ? (result as Record<string, unknown>)[this.lastProperty]
          : 'example.net';
    }
    return result;
  }

  private lastProperty = '';

  private primary(): unknown {
    this.skipSpaces();
    if (this.text[this.at] === "'") {
      let out = '';
      for (this.at++; ; this.at++) {
        if (this.text[this.at] === "'" && this.text[this.at + 1] === "'") {
          out += "'";
          this.at++;
        } else if (this.text[this.at] === "'") break;
        else out += this.text[this.at];
      }
      this.at++;
      return out;
    }
    const number = /^-?\d+/.exec(this.text.slice(this.at));
    if (number) {
      this.at += number[0].length;
      return Number(number[0]);
    }
    const name = /^[\w.]+/.exec(this.text.slice(this.at))?.[0] ?? '';
    this.at += name.length;
    const args: unknown[] = [];
    if (this.text[this.at] === '(') {
      this.at++;
      this.skipSpaces();
      while (this.text[this.at] !== ')') {
        args.push(this.value());
        this.skipSpaces();
        if (this.text[this.at] === ',') this.at++;
        this.skipSpaces();
      }
      this.at++;
    }
    switch (name.toLowerCase()) {
      case 'parameters':
        return template.parameters[String(args[0])]?.defaultValue ?? 'example';
      case 'variables':
        return evaluate(template.variables[String(args[0])]);
      case 'format':
        return String(args[0]).replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i) + 1]));
      case 'concat':
        return args.map(String).join('');
      case 'string':
        return String(args[0]);
      case 'true':
        return true;
      case 'false':
        return false;
      default:
        return new Deployed(name, args);
    }
  }

  private skipSpaces(): void {
    while (this.text[this.at] === ' ') this.at++;
  }
}

const site = ofType('Microsoft.Web/sites')[0];
const appSettings =
  ofType('Microsoft.Web/sites/config').find((r) => String(evaluate(r.name)).endsWith('appsettings'))?.properties ?? {};

/** What the app would read in Azure: the template's settings, Key Vault references resolved, and Azure's own. */
function settingsInAzure(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { WEBSITE_SITE_NAME: 'func-cuponeras-example' };
  for (const [name, raw] of Object.entries(appSettings)) {
    const value = String(evaluate(raw));
    // The platform resolves a Key Vault reference into the secret before the app starts.
    env[name] = value.startsWith('@Microsoft.KeyVault(') ? `resolved-secret-${'k'.repeat(48)}` : value;
  }
  return env;
}

(hasTemplate ? describe : describe.skip)('the compiled Azure template', () => {
  test('the settings it gives the function app make a valid production configuration', () => {
    let problem = '';
    try {
      const config = loadConfig(settingsInAzure());
      expect(config.database.engine).toBe('mssql');
    } catch (error) {
      problem = error instanceof ConfigError ? error.message : String(error);
    }
    // A setting the config requires in production and the template forgets fails here, by name.
    expect(problem).toBe('');
  });

  test('every setting it sets is one the app or the Functions host reads', () => {
    const hostSettings = [
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      'AzureWebJobsStorage__credential',
      'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
      'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT',
    ];
    const unknown = Object.keys(appSettings).filter(
      (name) => !(SETTING_NAMES as readonly string[]).includes(name) && !hostSettings.includes(name),
    );
    expect(unknown).toEqual([]);
  });

  test('secrets reach the app as Key Vault references, never as values', () => {
    expect(String(appSettings.JWT_SECRET)).toMatch(/^\[format\('@Microsoft\.KeyVault\(SecretUri=\{0\}\)'/);
    const jwtParameter = (template.parameters as Record<string, { type?: string }>).jwtSecret;
    expect(jwtParameter?.type).toBe('securestring');
    for (const [setting, parameter] of [
      ['WOMPI_PRIVATE_KEY', 'wompiPrivateKey'],
      ['WOMPI_INTEGRITY_SECRET', 'wompiIntegritySecret'],
      ['WOMPI_EVENTS_SECRET', 'wompiEventsSecret'],
    ] as const) {
      expect(String(appSettings[setting])).toMatch(/^\[format\('@Microsoft\.KeyVault\(SecretUri=\{0\}\)'/);
      expect((template.parameters as Record<string, { type?: string }>)[parameter]?.type).toBe('securestring');
    }
    // No output may carry a secret (the linter's outputs-should-not-contain-secrets, and this).
    const outputs = JSON.stringify((template as unknown as { outputs?: unknown }).outputs ?? {});
    expect(outputs).not.toMatch(/jwtSecret|listKeys|secretUri|ConnectionString/i);
  });

  test.each([
    ['queues', 'Storage Queue Data Contributor', '974c5e8b-45b9-4653-ba55-5f855dd0fb88'],
    ['blobs (imports, deployment package)', 'Storage Blob Data Owner', 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'],
    ['timer schedules (tables)', 'Storage Table Data Contributor', '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'],
    ['Key Vault references', 'Key Vault Secrets User', '4633458b-17de-408a-b874-0445c86b69e6'],
    ['telemetry with Entra ID', 'Monitoring Metrics Publisher', '3913510d-42f4-4e42-8a64-420c390055eb'],
  ])("the app's identity may use %s: %s", (_what, _role, guid) => {
    const assignments = ofType('Microsoft.Authorization/roleAssignments').filter((r) => {
      const props = r.properties as { roleDefinitionId?: string; principalId?: string };
      return String(evaluate(props.roleDefinitionId)).includes(guid) || String(props.roleDefinitionId).includes(guid);
    });
    expect(assignments).toHaveLength(1);
    const principal = String((assignments[0]?.properties as { principalId: string }).principalId);
    expect(principal).toMatch(/identity\.principalId/);
    expect(principal).toMatch(/Microsoft\.Web\/sites/);
  });

  test("the app's identity may send email through Communication Services (a role scoped to it)", () => {
    const custom = ofType('Microsoft.Authorization/roleDefinitions')[0];
    const actions = JSON.stringify((custom?.properties as { permissions?: unknown }).permissions);
    expect(actions).toContain('Microsoft.Communication/CommunicationServices/Read');
    const assignment = ofType('Microsoft.Authorization/roleAssignments').find((r) =>
      String((r.properties as { roleDefinitionId?: string }).roleDefinitionId).includes("'cuponeras-email-sender'"),
    );
    expect(String(assignment?.scope)).toMatch(/Microsoft\.Communication\/communicationServices/);
  });

  test('the app reaches SQL as itself: Entra-only server, managed-identity auth, no password setting', () => {
    const server = ofType('Microsoft.Sql/servers')[0]?.properties as {
      administrators?: { azureADOnlyAuthentication?: boolean };
      minimalTlsVersion?: string;
    };
    expect(server.administrators?.azureADOnlyAuthentication).toBe(true);
    expect(Number(server.minimalTlsVersion)).toBeGreaterThanOrEqual(1.2);
    expect(appSettings.SQL_AUTH).toBe('managed-identity');
    expect(appSettings.SQL_PASSWORD).toBeUndefined();
  });

  test('the site is HTTPS only, TLS 1.2 or newer, FTP off, on Node 22', () => {
    const props = site?.properties as {
      httpsOnly?: boolean;
      siteConfig?: { minTlsVersion?: string; ftpsState?: string };
      functionAppConfig?: { runtime?: { name?: string; version?: string } };
    };
    expect(props.httpsOnly).toBe(true);
    expect(Number(props.siteConfig?.minTlsVersion)).toBeGreaterThanOrEqual(1.2);
    expect(props.siteConfig?.ftpsState).toBe('Disabled');
    expect(props.functionAppConfig?.runtime).toEqual({ name: 'node', version: '22' });
    const storage = ofType('Microsoft.Storage/storageAccounts')[0]?.properties as Record<string, unknown>;
    expect(storage).toMatchObject({
      minimumTlsVersion: 'TLS1_2',
      allowSharedKeyAccess: false,
      supportsHttpsTrafficOnly: true,
    });
  });

  test('Application Insights sits on the Log Analytics workspace and the app reports to it', () => {
    const insights = ofType('Microsoft.Insights/components')[0]?.properties as { WorkspaceResourceId?: string };
    expect(String(insights.WorkspaceResourceId)).toMatch(/Microsoft\.OperationalInsights\/workspaces/);
    expect(String(appSettings.APPLICATIONINSIGHTS_CONNECTION_STRING)).toMatch(/Microsoft\.Insights\/components/);
    expect(ofType('Microsoft.OperationalInsights/workspaces')).toHaveLength(1);
  });

  test('the alerts of the runbook: five rules on Application Insights, to an action group emailing a parameter, reading what the app writes', () => {
    const rules = template.variables.rules as { name: string; query: string }[];
    expect(rules.map((r) => r.name)).toEqual([
      'http-5xx-rate',
      'outbox-age',
      'poison-depth',
      'timer-failed',
      'gateway-pending',
    ]);
    const [group] = ofType('Microsoft.Insights/actionGroups');
    expect(JSON.stringify(group?.properties)).toContain("[parameters('alertEmail')]");
    expect(template.parameters.alertEmail?.defaultValue).toBeUndefined();
    const [ruleResource] = ofType('Microsoft.Insights/scheduledQueryRules');
    expect(ruleResource?.copy).toEqual({ name: 'alertRules', count: "[length(variables('rules'))]" });
    expect(JSON.stringify(ruleResource?.properties)).toMatch(/Microsoft\.Insights\/components/);
    expect(JSON.stringify(ruleResource?.properties)).toMatch(/Microsoft\.Insights\/actionGroups/);

    // The report the rules parse is the one the reportSystem timer writes: its prefix and its fields.
    const reportQuery = String(template.variables.report);
    expect(reportQuery).toContain(`startswith "${SYSTEM_REPORT_PREFIX} "`);
    expect(reportQuery).toContain(`substring(message, ${SYSTEM_REPORT_PREFIX.length + 1})`);
    const fields = Object.keys(
      systemReport({
        queues: [],
        outbox: { undelivered: 0, oldestUndeliveredAgeSeconds: null },
        timers: [],
        payments: { pending: 0, oldestPendingAgeSeconds: null },
      }),
    );
    for (const rule of rules.slice(1)) {
      const read = [...rule.query.matchAll(/r\.(\w+)/g)].map((m) => m[1]);
      expect(read.length).toBeGreaterThan(0);
      for (const field of read) expect(fields).toContain(field);
    }
  });
});
