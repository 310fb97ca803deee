/**
 * `npm run bench:ui-join`: only the UI join benchmark (bench/ui-join/run.ts),
 * for working on join speed; `npm run bench` runs it too, with everything else.
 *   npm run bench:ui-join -- --quick   a smoke run with small counts
 *   npm run bench:ui-join -- --trace   two calls, each UI call's steps printed (bench/ui-join/trace.ts)
 */
import { table } from '../stats.ts';
import { runUiJoin, uiJoinRatioRows, uiJoinRows } from './run.ts';

const quick = process.argv.includes('--quick');
const trace = process.argv.includes('--trace');
const plan = trace ? { warmup: 1, calls: 2, trace } : quick ? { warmup: 1, calls: 5 } : { warmup: 2, calls: 15 };
const results = await runUiJoin(plan, (line) => console.log(line));
console.log('');
console.log(table(uiJoinRows(results, plan.calls)));
console.log('');
console.log(table(uiJoinRatioRows(results)));
process.exit(0);
