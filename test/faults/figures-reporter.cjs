/** After the fault suite: every test's figures (test-artifacts/faults/*.json) in one block. */
const fs = require('node:fs');
const path = require('node:path');

class FiguresReporter {
  constructor(globalConfig) {
    this.dir = path.join(globalConfig.rootDir, 'test-artifacts', 'faults');
  }

  onRunStart() {
    // npm run test:faults runs the timing-sensitive files test alone, after the others: that second
    // run keeps the first one's figures and prints them all.
    if (process.env.FAULT_FIGURES_KEEP !== '1') fs.rmSync(this.dir, { recursive: true, force: true });
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
