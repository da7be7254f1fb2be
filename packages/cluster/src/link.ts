import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { parseMessage, type Message } from './protocol.js';

const MAC_BYTES = 32;
const HEADER_BYTES = 4;
const HELLO_LABEL = 'sessionkit-cluster/1 hello\0';
const KEY_LABEL = 'sessionkit-cluster/1 frames\0';

export interface LinkOptions {
  secret: string;
  nodeId: string;
  /** Largest frame accepted (MAC + payload), in bytes; a larger length header closes the link. */
  maxFrameBytes: number;
  /** The peer must complete the handshake within this many ms. */
  handshakeTimeoutMs: number;
}

/**
 * One authenticated TCP connection between two nodes.
 *
 * Frames: a 4-byte big-endian length, then a 32-byte HMAC-SHA256, then a UTF-8 JSON payload.
 * Each side first sends `hello` (its node id and a fresh 16-byte nonce), signed with the shared
 * secret. Every later frame is signed with a key derived from the secret and both nonces, one key
 * per direction, over a frame counter and the payload: a frame replayed from another connection,
 * replayed within this one, reordered or altered fails verification.
 *
 * A frame that fails verification, does not parse, or announces more than `maxFrameBytes` closes
 * the connection before anything in it is used (`close` with `failed = true` and the reason).
 *
 * Events: `open(remoteNodeId)`, `message(Message)`, `close(reason: string, failed: boolean)`.
 */
export class Link extends EventEmitter {
  remoteNode: string | undefined;
  readonly remoteAddress: string;
  #state: 'hello' | 'open' | 'closed' = 'hello';
  readonly #nonce = randomBytes(16);
  #sendKey: Buffer | undefined;
  #receiveKey: Buffer | undefined;
  #sendSeq = 0n;
  #receiveSeq = 0n;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #frameBytes: number | undefined;
  readonly #pending: Message[] = [];
  readonly #handshakeTimer: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    private readonly options: LinkOptions,
  ) {
    super();
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#end(`socket error: ${err.message}`, false));
    socket.on('close', () => this.#end('connection closed', false));
    this.#handshakeTimer = setTimeout(
      () => this.fail(`no valid hello within ${options.handshakeTimeoutMs} ms`),
      options.handshakeTimeoutMs,
    ).unref();
    const hello = Buffer.from(JSON.stringify({ t: 'hello', node: options.nodeId, nonce: this.#nonce.toString('hex') }));
    this.#write(mac(options.secret, HELLO_LABEL, hello), hello);
  }

  get open(): boolean {
    return this.#state === 'open';
  }

  /** Sends a message; queued until the handshake completes, dropped once closed. */
  send(message: Message): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'hello') {
      this.#pending.push(message);
      return;
    }
    const payload = Buffer.from(JSON.stringify(message));
    this.#write(mac(this.#sendKey!, counter(this.#sendSeq++), payload), payload);
    // A peer that stops reading must not make this node buffer without bound: drop the link, the
    // join or anti-entropy brings the peer up to date when it reconnects.
    if (this.socket.writableLength > 4 * this.options.maxFrameBytes) {
      this.fail(`peer is not reading: ${this.socket.writableLength} bytes waiting to be sent`);
    }
  }

  /** Resolves once the socket's write buffer has drained (or the link closed). */
  drained(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.#state === 'closed') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.on('close', done);
    });
  }

  /** Closes the connection normally. */
  close(reason = 'closed locally'): void {
    this.#end(reason, false);
  }

  /** Closes the connection because the peer broke the protocol; nothing from it is applied. */
  fail(reason: string): void {
    this.#end(reason, true);
  }

  #write(signature: Buffer, payload: Buffer): void {
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32BE(signature.length + payload.length);
    this.socket.write(Buffer.concat([header, signature, payload]));
  }

  #onData(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    try {
      while (this.#state !== 'closed') {
        if (this.#frameBytes === undefined) {
          if (this.#bytes < HEADER_BYTES) return;
          const length = this.#take(HEADER_BYTES).readUInt32BE(0);
          if (length > this.options.maxFrameBytes) {
            return this.fail(`frame of ${length} bytes is over the ${this.options.maxFrameBytes} byte limit (maxFrameBytes)`);
          }
          if (length <= MAC_BYTES) return this.fail(`malformed frame of ${length} bytes`);
          this.#frameBytes = length;
        }
        if (this.#bytes < this.#frameBytes) return;
        const frame = this.#take(this.#frameBytes);
        this.#frameBytes = undefined;
        this.#onFrame(frame.subarray(0, MAC_BYTES), frame.subarray(MAC_BYTES));
      }
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
    }
  }

  #onFrame(signature: Buffer, payload: Buffer): void {
    if (this.#state === 'hello') {
      if (!timingSafeEqual(signature, mac(this.options.secret, HELLO_LABEL, payload))) {
        return this.fail('authentication failed: hello not signed with this cluster secret (wrong secret?)');
      }
      const hello = JSON.parse(payload.toString('utf8')) as { t?: unknown; node?: unknown; nonce?: unknown };
      if (hello.t !== 'hello' || typeof hello.node !== 'string' || !hello.node || typeof hello.nonce !== 'string' || !/^[0-9a-f]{32}$/.test(hello.nonce)) {
        return this.fail('malformed hello');
      }
      const theirs = Buffer.from(hello.nonce, 'hex');
      this.#sendKey = mac(this.options.secret, KEY_LABEL, Buffer.concat([this.#nonce, theirs]));
      this.#receiveKey = mac(this.options.secret, KEY_LABEL, Buffer.concat([theirs, this.#nonce]));
      this.remoteNode = hello.node;
      this.#state = 'open';
      clearTimeout(this.#handshakeTimer);
      this.emit('open', hello.node);
      for (const message of this.#pending.splice(0)) this.send(message);
      return;
    }
    if (!timingSafeEqual(signature, mac(this.#receiveKey!, counter(this.#receiveSeq++), payload))) {
      return this.fail('authentication failed: frame signature does not verify (altered, replayed or out of order)');
    }
    let message: Message;
    try {
      message = parseMessage(JSON.parse(payload.toString('utf8')));
    } catch (err) {
      return this.fail(`malformed message: ${(err as Error).message}`);
    }
    this.emit('message', message);
  }

  #take(n: number): Buffer {
    let out: Buffer;
    const first = this.#chunks[0]!;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.#chunks);
      out = all.subarray(0, n);
      this.#chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.#bytes -= n;
    return out;
  }

  #end(reason: string, failed: boolean): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#handshakeTimer);
    this.#chunks = [];
    this.socket.destroy();
    this.emit('close', reason, failed);
  }
}

function mac(key: string | Buffer, label: string | Buffer, payload: Buffer): Buffer {
  return createHmac('sha256', key).update(label).update(payload).digest();
}

function counter(seq: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(seq);
  return out;
}
