/**
 * The app settings for one database on the server of an ADO-style connection string
 * (Server=host,port;User Id=…;Password=…), MSSQL_TEST_CONNECTION by default: the tests' and the
 * benchmarks' way to the T-SQL engine of scripts/tsql-engine.sh.
 */
export function mssqlSettings(
  database: string,
  connection = process.env.MSSQL_TEST_CONNECTION ?? '',
): Record<string, string> {
  const parts = Object.fromEntries(
    connection
      .split(';')
      .map((part) => part.split('='))
      .filter((kv): kv is [string, string] => kv.length >= 2 && kv[0] !== '')
      .map(([key, ...rest]) => [key.trim().toLowerCase(), rest.join('=').trim()]),
  );
  const [server = 'localhost', port = '1433'] = (parts.server ?? parts['data source'] ?? '')
    .replace(/^tcp:/, '')
    .split(',');
  return {
    DB_ENGINE: 'mssql',
    SQL_SERVER: server,
    SQL_PORT: port,
    SQL_DATABASE: database,
    SQL_AUTH: 'sql-password',
    SQL_USER: parts['user id'] ?? parts.uid ?? '',
    SQL_PASSWORD: parts.password ?? parts.pwd ?? '',
    SQL_ENCRYPT: parts.encrypt === 'true' ? 'true' : 'false',
  };
}
