/**
 * `npm run bench:ui-join`: only the UI join benchmark (bench/ui-join/run.ts),
 * for working on join speed; `npm run bench` runs it too, with everything else.
 *   npm run bench:ui-join -- --quick   a smoke run with small counts
 */
import { table } from '../stats.ts';
import { runUiJoin, uiJoinRatioRows, uiJoinRows } from './run.ts';

const quick = process.argv.includes('--quick');
const results = await runUiJoin(quick ? { warmup: 1, calls: 5 } : { warmup: 2, calls: 15 }, (line) => console.log(line));
console.log('');
console.log(table(uiJoinRows(results)));
console.log('');
console.log(table(uiJoinRatioRows(results)));
process.exit(0);
