// A lock across processes around async work (starting a namespace's connector, netavark): flock(1)
// holds it for as long as its stdin stays open, so the lock ends with this process, however it ends.
import { spawn } from 'node:child_process';

const WAIT_S = 60;

export async function withFileLock<T>(flock: string, path: string, fn: () => Promise<T>): Promise<T> {
  // -o: the lock's fd is not passed to what cat might start (nothing), nor kept by anyone else.
  const child = spawn(flock, ['-o', '-w', String(WAIT_S), path, 'sh', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('error', (e) => reject(new Error(`running flock: ${e.message}`)));
    child.once('exit', (code) => reject(new Error(`could not lock ${path}: ${err.trim() || `flock exited with status ${code}`}`)));
  });
  try {
    return await fn();
  } finally {
    child.stdin.end();
    child.stdout.destroy();
  }
}
