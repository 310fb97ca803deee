// What `npm run start:turn` and `npm run start:sfu` share: a service started by the script, then either the settings to
// start VideoApp by hand or (with --with-server) the built server itself, stopped together on Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

export interface ServiceRun {
  /** The service's name as people know it: "coturn", "Janus". */
  name: string;
  /** The settings that point VideoApp at the service. */
  env: Record<string, string>;
  stopService(): Promise<void>;
  /** The temporary folder holding the service's generated configuration, removed on stop. */
  workDir: string;
  root: string;
  withServer: boolean;
}

export async function runBesideService(run: ServiceRun): Promise<void> {
  let server: ReturnType<typeof spawn> | undefined;
  let stopping = false;
  async function stop(code: number): Promise<void> {
    // Ctrl-C reaches the server too, whose exit then asks for a second stop.
    if (stopping) return;
    stopping = true;
    server?.kill('SIGTERM');
    await run.stopService();
    rmSync(run.workDir, { recursive: true, force: true });
    process.exit(code);
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(0));

  if (!run.withServer) {
    const settings = Object.entries(run.env)
      .map(([key, value]) => `${key}='${value}'`)
      .join(' ');
    process.stdout.write('Start VideoApp with these settings (in another terminal):\n\n');
    process.stdout.write(`  ${settings} npm start\n\n`);
    process.stdout.write(`Ctrl-C stops ${run.name}.\n`);
  } else if (spawnSync(process.execPath, [join(run.root, 'scripts/build.mjs')], { stdio: 'inherit' }).status !== 0) {
    await stop(1);
  } else {
    const serverArgs = process.argv.slice(2).filter((arg) => arg !== '--with-server');
    server = spawn(process.execPath, [join(run.root, 'packages/server/dist/main.js'), ...serverArgs], { stdio: 'inherit', env: { ...process.env, ...run.env } });
    server.on('exit', (code) => void stop(code ?? 0));
  }
}
