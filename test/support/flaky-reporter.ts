/**
 * Names every test that passed only on a retry, at the end of the run, so a retry never hides a
 * flaky test: the CI machine has two cores and runs the whole suite (real PostgreSQL, Redis,
 * Chromium and server processes) at once, where a timing margin can be missed once. A test that
 * fails twice still fails the run; one listed here is a bug to fix, in the test or the product.
 */
import type { Reporter, TestCase } from 'vitest/node';

export default class FlakyReporter implements Reporter {
  private readonly flaky: string[] = [];

  onTestCaseResult(testCase: TestCase): void {
    const diagnostic = testCase.diagnostic();
    if (diagnostic?.flaky) {
      this.flaky.push(`${testCase.module.moduleId} > ${testCase.fullName} (retries: ${diagnostic.retryCount})`);
    }
  }

  onTestRunEnd(): void {
    if (this.flaky.length === 0) return;
    process.stdout.write(`\nFLAKY: ${this.flaky.length} test(s) passed only on a retry:\n`);
    for (const name of this.flaky) process.stdout.write(`  FLAKY ${name}\n`);
  }
}
