/**
 * `npm run bench:network`: only the network-fault benchmark (bench/network/run.ts);
 * `npm run bench` runs it too.   npm run bench:network -- --quick   one run of each fault
 */
import { table } from '../stats.ts';
import { networkRatioRows, networkRows, runNetworkBench } from './run.ts';

const results = await runNetworkBench({ runs: process.argv.includes('--quick') ? 1 : 3 }, (line) => console.log(line));
console.log('');
console.log(table(networkRows(results)));
console.log('');
console.log(table(networkRatioRows(results)));
process.exit(0);
