// azd preprovision hook: makes sure the environment has what main.parameters.json needs that is
// not an Azure output. Runs before every `azd provision`; changes nothing when already set.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const azd = (...args) => execFileSync('azd', args, { encoding: 'utf8' }).trim();
const get = (name) => {
  try {
    return azd('env', 'get-value', name);
  } catch {
    return '';
  }
};
const set = (name, value) => azd('env', 'set', name, value);

// A strong signing secret, made once: re-provisioning must not log everyone out.
if (!get('JWT_SECRET')) set('JWT_SECRET', randomBytes(48).toString('base64url'));

// The deployer becomes the Azure SQL Entra admin (user locally, service principal in CI).
if (!get('AZURE_PRINCIPAL_NAME')) {
  const az = (...args) => execFileSync('az', args, { encoding: 'utf8' }).trim();
  try {
    const user = JSON.parse(az('ad', 'signed-in-user', 'show', '--output', 'json'));
    set('AZURE_PRINCIPAL_NAME', user.userPrincipalName);
    set('AZURE_PRINCIPAL_TYPE', 'User');
  } catch {
    const clientId = process.env.AZURE_CLIENT_ID;
    if (!clientId) throw new Error('Set AZURE_PRINCIPAL_NAME (the deployer UPN or app name) with `azd env set`.');
    set('AZURE_PRINCIPAL_NAME', clientId);
    set('AZURE_PRINCIPAL_TYPE', 'Application');
  }
}
console.log('azd environment ready: JWT_SECRET and the SQL admin principal are set.');
