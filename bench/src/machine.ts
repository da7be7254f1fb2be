import { cpus, release, totalmem, type } from 'node:os';
import type { Machine } from './results.js';

/** CPU model, cores, memory, OS and Node version of this machine, plus the engine versions found. */
export function describeMachine(engines: Record<string, string>): Machine {
  const processors = cpus();
  return {
    cpu: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
    engines,
  };
}
