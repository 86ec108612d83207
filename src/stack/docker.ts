/** Whether a Docker engine answers here: decides between the Docker stack and the embedded one. */
import { spawnSync } from 'node:child_process';

export interface DockerProbe {
  available: boolean;
  detail: string;
}

export function probeDocker(timeoutMs = 5000): DockerProbe {
  const out = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: timeoutMs });
  if (out.error) return { available: false, detail: `docker info failed: ${out.error.message}` };
  if (out.status !== 0) {
    const reason = (out.stderr || out.stdout).trim().split('\n').slice(-1)[0] ?? `exit ${out.status}`;
    return { available: false, detail: `docker info failed: ${reason}` };
  }
  return { available: true, detail: `Docker engine ${out.stdout.trim()}` };
}
