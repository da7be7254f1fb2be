import { redactUrl } from '@sessionkit/core';

/** `text` with every URL password replaced by `***` (core's `redactUrl`). */
export const redactText: (text: string) => string = redactUrl;

// Commands whose arguments hold a password; ioredis attaches the failed command to its ReplyError.
const SECRET_COMMANDS = new Set(['auth', 'hello', 'migrate', 'config', 'acl']);

/**
 * `err` unchanged when nothing in it quotes a password; otherwise a copy with its message and stack
 * redacted, and the arguments of an AUTH/HELLO command that ioredis attaches to a reply error
 * (`command: { name: 'auth', args: [password] }`) replaced by `***`. The copy keeps `name`, `code`
 * and the socket fields, so it still classifies as the same kind of error, but not the original as
 * `cause`.
 */
export function redactError(err: unknown): unknown {
  if (!(err instanceof Error)) return typeof err === 'string' ? redactText(err) : err;
  const message = redactText(err.message);
  const stack = err.stack === undefined ? undefined : redactText(err.stack);
  const command = (err as { command?: { name?: unknown; args?: unknown } }).command;
  const secretArgs =
    typeof command?.name === 'string' && SECRET_COMMANDS.has(command.name.toLowerCase()) && Array.isArray(command.args);
  if (message === err.message && stack === err.stack && !secretArgs) return err;
  const copy = new Error(message) as Error & Record<string, unknown>;
  copy.name = err.name;
  copy.stack = stack;
  for (const field of ['code', 'errno', 'syscall', 'address', 'port'] as const) {
    const value = (err as unknown as Record<string, unknown>)[field];
    if (value !== undefined) copy[field] = typeof value === 'string' ? redactText(value) : value;
  }
  if (command)
    copy['command'] = {
      name: command.name,
      args: secretArgs ? (command.args as unknown[]).map(() => '***') : command.args,
    };
  return copy;
}
