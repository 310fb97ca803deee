// A node:test reporter that prints only the closing line CI reads: "N passed, N failed", after
// one line per reason anything was skipped for (a missing program, say), so a run that
// skipped tests says why at its end, not only somewhere in the middle of the spec output.
export default async function* countReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  /** Skip reason → how many tests or whole suites it skipped. */
  const reasons = new Map();
  const skip = (reason) => {
    skipped++;
    const text = typeof reason === 'string' ? reason : '(no reason given)';
    reasons.set(text, (reasons.get(text) ?? 0) + 1);
  };
  for await (const event of source) {
    // Count leaf tests only; suites and files report their own pass/fail events too.
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.details?.type === 'suite') {
      // A skipped suite never runs its body, so its tests send no events of their own: it counts as one.
      if (event.data.skip) skip(event.data.skip);
      continue;
    }
    if (event.data.nesting === 0 && event.data.name?.startsWith?.('/')) continue;
    if (event.data.skip) skip(event.data.skip);
    else if (event.data.todo) skipped++;
    else if (event.type === 'test:pass') passed++;
    else failed++;
  }
  for (const [reason, count] of reasons) yield `${count} skipped: ${reason}\n`;
  yield `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
}
