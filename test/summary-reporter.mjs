// @ts-check
/**
 * A node:test reporter for the end of `make test`: every skipped test with its reason, then one closing
 * line `unit: N passed, N failed, N skipped`, so a skip is never mistaken for a pass. It counts tests, not
 * suites; a file that fails before registering a test counts as one failure under its file name.
 * Plain JavaScript: the test runner loads its reporters before any TypeScript loader.
 *
 * @typedef {{ name: string, file?: string, skip?: string | boolean, details?: { type?: string } }} TestData
 * @param {AsyncIterable<{ type: string, data: TestData }>} source
 * @returns {AsyncGenerator<string>}
 */
export default async function* summary(source) {
  /** @type {string[]} */
  const skipped = [];
  let passed = 0, failed = 0;
  for await (const { type, data } of source) {
    if (type !== 'test:pass' && type !== 'test:fail') continue;
    if (data.details?.type === 'suite') continue;
    if (data.skip !== undefined && data.skip !== false) {
      const where = data.file ? ` (${data.file.replace(/^.*?\/test\//, 'test/')})` : '';
      skipped.push(`- ${data.name}${where}: ${data.skip === true ? 'no reason given' : data.skip}`);
    } else if (type === 'test:pass') passed++;
    else failed++;
  }
  if (skipped.length) yield `skipped (${skipped.length}); each names what is missing and the make target that brings it:\n${skipped.join('\n')}\n`;
  yield `unit: ${passed} passed, ${failed} failed, ${skipped.length} skipped\n`;
}
