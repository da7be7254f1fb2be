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

type Handlers = Record<string, (args: unknown) => unknown>;

/** What a child process serves once started. */
export interface ChildService {
  handlers: Handlers;
  /** The HTTP port it listens on, if any. */
  port?: number;
  /** Releases what it opened; the runner's `close` request calls it, then the process exits. */
  close(): Promise<void>;
}

/**
 * The main of a child process: `start` opens what it serves; the runner then gets the ready
 * message (or the reason it failed, and the process exits 1) and its requests are answered by
 * the handlers, `close` included.
 */
export async function runChild(start: () => Promise<ChildService>): Promise<void> {
  try {
    const service = await start();
    serveIpc({
      ...service.handlers,
      close: async () => {
        await service.close();
        setImmediate(() => process.exit(0));
      },
    });
    process.send!({ ready: true, port: service.port } satisfies IpcReady);
  } catch (error) {
    process.send!({ failed: describe(error) } satisfies IpcFailed);
    setImmediate(() => process.exit(1));
  }
}

/** Answers the runner's requests with `handlers[command](args)`. */
function serveIpc(handlers: Handlers): void {
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
