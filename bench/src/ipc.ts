/** A request from the runner to a child process, answered by a {@link IpcReply} with the same id. */
export interface IpcRequest {
  id: number;
  command: string;
  args?: unknown;
}

export interface IpcReply {
  id: number;
  result?: unknown;
  error?: string;
}

/** First message of every child: it is ready (the server's port, if it has one). */
export interface IpcReady {
  ready: true;
  port?: number;
}

/** What a child prints to the runner when it fails before it is ready. */
export interface IpcFailed {
  failed: string;
}

/** Answers the runner's requests in a child process with `handlers[command](args)`. */
export function serveIpc(handlers: Record<string, (args: unknown) => unknown>): void {
  process.on('message', (message: IpcRequest) => {
    const handler = handlers[message.command];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command ${message.command}`);
        return handler(message.args);
      })
      .then(
        (result) => process.send!({ id: message.id, result } satisfies IpcReply),
        (error: unknown) => process.send!({ id: message.id, error: describe(error) } satisfies IpcReply),
      );
  });
}

export function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
