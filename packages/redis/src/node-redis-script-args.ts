import { createHash } from 'node:crypto';
import { SCRIPTS, type ScriptArgs, type ScriptName } from './scripts.js';

/** The SHA1 of each script, as EVALSHA names it. */
const SHAS = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, lua]) => [name, createHash('sha1').update(lua).digest('hex')]),
) as Record<ScriptName, string>;

/** A NOSCRIPT reply: the server lacks the script (restarted, or a new node), so it goes again as EVAL. */
export function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

/** `EVALSHA sha 2 key tombstone ...argv`, every argument a string (node-redis sends strings and Buffers only). */
export function scriptArgs(name: ScriptName, key: string, tombstone: string, argv: ScriptArgs): string[] {
  const args = ['EVALSHA', SHAS[name], '2', key, tombstone];
  // pushed one by one, never spread into a call, whatever the number of arguments
  for (const arg of argv) args.push(typeof arg === 'string' ? arg : String(arg));
  return args;
}

/** The same call as EVAL with the script's text, after the server answered NOSCRIPT. */
export function asEval(name: ScriptName, args: string[]): string[] {
  const again = args.slice();
  again[0] = 'EVAL';
  again[1] = SCRIPTS[name];
  return again;
}
