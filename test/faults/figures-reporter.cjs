/** After the fault suite: every test's figures (test-artifacts/faults/*.json) in one block. */
const fs = require('node:fs');
const path = require('node:path');

class FiguresReporter {
  constructor(globalConfig) {
    this.dir = path.join(globalConfig.rootDir, 'test-artifacts', 'faults');
  }

  onRunStart() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  onRunComplete() {
    if (!fs.existsSync(this.dir)) return;
    const lines = ['', 'Fault suite figures:'];
    for (const file of fs.readdirSync(this.dir).sort()) {
      const { name, figures } = JSON.parse(fs.readFileSync(path.join(this.dir, file), 'utf8'));
      lines.push(`  ${name}`);
      for (const [key, value] of Object.entries(figures)) lines.push(`    ${key}: ${value}`);
    }
    console.log(lines.join('\n'));
  }
}

module.exports = FiguresReporter;
