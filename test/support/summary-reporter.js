/** Prints the plain `N passed, N failed` line CI ends with, and writes it for .ci/run. */
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed`;
    fs.mkdirSync(path.join(__dirname, '..', '..', '.test-results'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, '..', '..', '.test-results', 'summary.txt'), `${line}\n`);
    process.stdout.write(`\n${line}\n`);
  }
}
module.exports = SummaryReporter;
