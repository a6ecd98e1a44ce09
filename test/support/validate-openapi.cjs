// Validates an OpenAPI document with @apidevtools/swagger-parser. Run by Node itself, not jest:
// the validator's dependencies are ES modules, which jest's CommonJS runtime cannot require.
const fs = require('node:fs');
const SwaggerParser = require('@apidevtools/swagger-parser');

SwaggerParser.validate(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')))
  .then((api) => console.log(JSON.stringify({ valid: true, openapi: api.openapi })))
  .catch((error) => {
    console.log(JSON.stringify({ valid: false, message: error.message }));
    process.exitCode = 1;
  });
