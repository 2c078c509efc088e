// Prints the one-line result of the jest run of `pnpm test`, read from the file that the root
// `test:all` script writes (`jest ... --json --outputFile=.jest-results.json`):
//
//   Tests: 412 passed, 0 failed            (", N skipped" is added when tests were skipped)
//
// Failed tests and test files that could not run are listed on stderr first. Exits 1 when jest
// failed, when no test ran, or when the file is missing (jest never ran, e.g. lint failed first).
//
//   node scripts/ci-summary.mjs [results.json]
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.jest-results.json';

function count(value) {
  return Number.isInteger(value) && value > 0 ? value : 0;
}

function readResults(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    console.error(
      `ci-summary: no jest results in ${path} (${error.message}); jest did not run or did not finish.`,
    );
    return undefined;
  }
}

function reportFailures(results) {
  const cwd = `${process.cwd()}/`;
  for (const suite of results.testResults ?? []) {
    const name = String(suite.name ?? '').replace(cwd, '');
    const failedTests = (suite.assertionResults ?? []).filter((test) => test.status === 'failed');
    for (const test of failedTests) console.error(`FAIL ${name} > ${test.fullName ?? test.title}`);
    if (suite.status === 'failed' && failedTests.length === 0) {
      const reason = String(suite.message ?? '')
        .split('\n')
        .map((line) => line.trim())
        .find((line) => line !== '' && !line.startsWith('●'));
      console.error(`FAIL ${name} (the file failed to run${reason ? `: ${reason}` : ''})`);
    }
  }
}

const results = readResults(file);
if (results === undefined) {
  console.log('Tests: 0 passed, 0 failed');
  process.exit(1);
}

reportFailures(results);
const passed = count(results.numPassedTests);
// A test file that cannot run (syntax error, failing beforeAll import, ...) reports no failed
// test, so it is counted as one failure here: a red run never prints "0 failed".
const brokenFiles = count(results.numRuntimeErrorTestSuites);
const failed = count(results.numFailedTests) + brokenFiles;
const skipped = count(results.numPendingTests) + count(results.numTodoTests);
const total = count(results.numTotalTests);

if (brokenFiles > 0)
  console.error(`ci-summary: ${brokenFiles} test file(s) failed to run (counted as failed).`);
if (total === 0) console.error('ci-summary: jest ran no tests.');
if (results.success !== true && failed === 0 && total > 0) {
  console.error('ci-summary: jest reported failure (e.g. an obsolete snapshot or an interrupted run).');
}

console.log(`Tests: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(results.success === true && failed === 0 && total > 0 ? 0 : 1);
