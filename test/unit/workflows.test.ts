import fs from 'node:fs';
import path from 'node:path';

import { validateWorkflow } from '@action-validator/core';

import { projectRoot } from '../../shared/projectFiles';

const dir = path.join(projectRoot(), '.github/workflows');

describe('GitHub Actions workflows', () => {
  test.each(fs.readdirSync(dir).filter((f) => f.endsWith('.yml')))(
    '%s validates against the workflow schema (action-validator)',
    (file) => {
      const state = validateWorkflow(fs.readFileSync(path.join(dir, file), 'utf8'));
      expect(state.errors).toEqual([]);
    },
  );

  test('ci runs the README test command on pushes and pull requests; deploy signs in with OIDC, no stored secrets', () => {
    const ci = fs.readFileSync(path.join(dir, 'ci.yml'), 'utf8');
    expect(ci).toMatch(/pull_request/);
    expect(ci).toContain('run: npm test');
    const deploy = fs.readFileSync(path.join(dir, 'deploy.yml'), 'utf8');
    expect(deploy).toContain('id-token: write');
    expect(deploy).toContain('--federated-credential-provider github');
    expect(deploy).not.toMatch(/secrets\./);
  });

  test('a workflow with a mistake is refused (the validator is real)', () => {
    expect(validateWorkflow('on: push\njobs:\n  test:\n    stepz: []\n').errors.length).toBeGreaterThan(0);
  });
});
