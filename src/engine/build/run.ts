// RUN: the command as a real container of the step's image, through the engine's container
// service (same runtime, mounts and networks as any container), its output passed on as it comes.
import type { ContainerService } from '../containers/service.js';
import type { RunSettings } from './types.js';

export interface RunStep {
  imageId: string;
  argv: string[];
  env: string[];
  user: string;
  workdir: string;
  settings: RunSettings;
  flavor: 'docker' | 'podman';
}

/** Creates, attaches and starts the container; resolves with its ID and exit code once it ends. */
export async function runContainer(containers: ContainerService, step: RunStep, onOutput: (text: string) => void, onCreated: (id: string) => void): Promise<{ id: string; exitCode: number }> {
  const s = step.settings;
  const { id } = await containers.create({
    flavor: step.flavor,
    config: {
      Image: step.imageId,
      Cmd: step.argv,
      // The image's ENTRYPOINT does not wrap a RUN command.
      Entrypoint: [],
      Env: step.env,
      User: step.user,
      WorkingDir: step.workdir,
      AttachStdout: true,
      AttachStderr: true,
      Labels: {},
    },
    hostConfig: {
      ...(s.networkMode ? { NetworkMode: s.networkMode } : {}),
      ExtraHosts: s.extraHosts.length ? s.extraHosts : null,
      ...(s.memory ? { Memory: s.memory } : {}),
      ...(s.memorySwap ? { MemorySwap: s.memorySwap } : {}),
      ...(s.cpuShares ? { CpuShares: s.cpuShares } : {}),
      ...(s.cpuSetCpus ? { CpusetCpus: s.cpuSetCpus } : {}),
      ...(s.cpuPeriod ? { CpuPeriod: s.cpuPeriod } : {}),
      ...(s.cpuQuota ? { CpuQuota: s.cpuQuota } : {}),
      ...(s.shmSize ? { ShmSize: s.shmSize } : {}),
      Ulimits: s.ulimits.length ? s.ulimits : null,
    },
  });
  onCreated(id);
  const session = await containers.attach(id, { stdin: false, stdout: true, stderr: true });
  const ended = new Promise<void>((resolve) => session.onEnd(() => resolve()));
  session.onOutput((_fd, data) => onOutput(data.toString('utf8')));
  await containers.start(id);
  const { exitCode } = await containers.wait(id, 'not-running');
  // The output may trail the exit by a moment; a stuck attach must not hold the build.
  await Promise.race([ended, new Promise((r) => setTimeout(r, 2000).unref())]);
  session.close();
  return { id, exitCode };
}
