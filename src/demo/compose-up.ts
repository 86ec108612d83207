/**
 * `npm run demo`'s Docker path. docker-compose.yml requires the ClickHouse passwords
 * (`${VAR:?...}`), so `.env` gets its generated passwords before compose runs, as the
 * embedded stack's first start does.
 */
import { spawnSync } from 'node:child_process';
import { projectRoot } from '../paths.js';
import { ensureDotEnv } from '../stack/stack.js';

export type Spawn = (command: string, args: string[], options: { cwd: string; stdio: 'inherit' }) => { status: number | null };

export interface ComposeUpOptions {
  spawn?: Spawn;
  log?: (line: string) => void;
  root?: string;
}

export function composeUp({ spawn = spawnSync, log = () => {}, root = projectRoot }: ComposeUpOptions = {}): void {
  ensureDotEnv(log, root);
  const up = spawn('docker', ['compose', 'up', '-d', '--wait'], { cwd: root, stdio: 'inherit' });
  if (up.status !== 0) throw new Error(`docker compose up -d --wait failed with exit status ${up.status} (see above)`);
}
