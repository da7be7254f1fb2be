import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { parseMessage, type Message } from './protocol.js';

const MAC_BYTES = 32;
const HEADER_BYTES = 4;
const HELLO_LABEL = 'sessionkit-cluster/2 hello\0';
const PROOF_LABEL = 'sessionkit-cluster/2 proof\0';
const KEY_LABEL = 'sessionkit-cluster/2 frames\0';
const PROTOCOL_VERSION = 2;
const NODE_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * Largest frame accepted before the peer has proved it knows the secret. A `hello` or `proof` frame
 * is about 130 bytes; anything announcing more is closed at its length header, before it is read.
 */
export const MAX_HANDSHAKE_FRAME_BYTES = 1024;

/** Which end of the TCP connection this side is: it binds each proof to one direction. */
export type LinkRole = 'dial' | 'accept';

export interface LinkOptions {
  secret: string;
  nodeId: string;
  role: LinkRole;
  /** Largest frame accepted once authenticated (MAC + payload), in bytes; a larger length header closes the link. */
  maxFrameBytes: number;
  /** The peer must complete the handshake within this many ms. */
  handshakeTimeoutMs: number;
  /**
   * Called with the node id and nonce (hex) of the peer's `hello`, before this side sends its
   * proof. A string refuses the connection with that reason; nothing more is sent.
   */
  admit?: (node: string, nonce: string) => string | undefined;
}

/**
 * One authenticated connection between two nodes (TCP, or TLS over it).
 *
 * Frames: a 4-byte big-endian length, then a 32-byte MAC, then a UTF-8 JSON payload.
 *
 * Handshake (challenge-response over both sides' fresh nonces):
 * 1. each side sends `hello` (its node id and a fresh 16-byte nonce);
 * 2. on the other side's hello, each side sends `proof`: an HMAC with the shared secret over its
 *    role (dialer or acceptor), its own nonce, the *other* side's nonce and both node ids;
 * 3. a side that verified the other's proof is open. Nothing but `hello` and `proof` is sent before.
 * A captured hello or proof is worthless on another connection: the other side's nonce is fresh.
 * Until then a frame over {@link MAX_HANDSHAKE_FRAME_BYTES} closes the connection.
 *
 * Every later frame is signed with a key derived from the secret and both nonces, one key per
 * direction, over a frame counter and the payload: a frame replayed from another connection,
 * replayed within this one, reordered or altered fails verification.
 *
 * A frame that fails verification, does not parse, or announces more than the limit closes the
 * connection before anything in it is used (`close` with `failed = true` and the reason).
 *
 * Events: `open(remoteNodeId)`, `message(Message)`, `close(reason: string, failed: boolean)`.
 */
export class Link extends EventEmitter {
  remoteNode: string | undefined;
  /** The peer's nonce (hex), once its hello arrived. */
  remoteNonce: string | undefined;
  readonly remoteAddress: string;
  #state: 'hello' | 'proof' | 'open' | 'closed' = 'hello';
  readonly #nonce = randomBytes(16);
  #theirNonce: Buffer | undefined;
  #sendKey: Buffer | undefined;
  #receiveKey: Buffer | undefined;
  #sendSeq = 0n;
  #receiveSeq = 0n;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #frameBytes: number | undefined;
  readonly #pending: Message[] = [];
  readonly #handshakeTimer: NodeJS.Timeout;
  readonly #options: LinkOptions;

  constructor(
    readonly socket: Socket,
    options: LinkOptions,
  ) {
    super();
    this.#options = options;
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#end(`socket error: ${err.message}`, false));
    socket.on('close', () => this.#end('connection closed', false));
    this.#handshakeTimer = setTimeout(
      () => this.fail(`no completed handshake within ${options.handshakeTimeoutMs} ms`),
      options.handshakeTimeoutMs,
    ).unref();
    const hello = json({ t: 'hello', v: PROTOCOL_VERSION, node: options.nodeId, nonce: this.nonce });
    this.#write(mac(options.secret, HELLO_LABEL, hello), hello);
  }

  /** This side's nonce (hex). */
  get nonce(): string {
    return this.#nonce.toString('hex');
  }

  get open(): boolean {
    return this.#state === 'open';
  }

  /** Sends a message; queued until the handshake completes, dropped once closed. */
  send(message: Message): void {
    if (this.#state === 'closed') return;
    if (this.#state !== 'open') {
      this.#pending.push(message);
      return;
    }
    const payload = json(message);
    this.#write(mac(this.#sendKey!, counter(this.#sendSeq++), payload), payload);
    // A peer that stops reading must not make this node buffer without bound: drop the link, the
    // join or anti-entropy brings the peer up to date when it reconnects.
    if (this.socket.writableLength > 4 * this.#options.maxFrameBytes) {
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
          const limit = this.#state === 'open' ? this.#options.maxFrameBytes : MAX_HANDSHAKE_FRAME_BYTES;
          if (length > limit) {
            const which = this.#state === 'open' ? 'maxFrameBytes' : 'before authentication';
            return this.fail(`frame of ${length} bytes is over the ${limit} byte limit (${which})`);
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
    if (this.#state === 'hello') return this.#onHello(signature, payload);
    if (this.#state === 'proof') return this.#onProof(signature, payload);
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

  #onHello(signature: Buffer, payload: Buffer): void {
    const { secret, nodeId, role } = this.#options;
    if (!timingSafeEqual(signature, mac(secret, HELLO_LABEL, payload))) {
      return this.fail(
        'authentication failed: hello not signed with this cluster secret (wrong secret, or another protocol version?)',
      );
    }
    const hello = JSON.parse(payload.toString('utf8')) as { t?: unknown; v?: unknown; node?: unknown; nonce?: unknown };
    if (
      hello.t !== 'hello' ||
      hello.v !== PROTOCOL_VERSION ||
      typeof hello.node !== 'string' ||
      !NODE_ID.test(hello.node) ||
      typeof hello.nonce !== 'string' ||
      !/^[0-9a-f]{32}$/.test(hello.nonce)
    ) {
      return this.fail('malformed hello');
    }
    if (hello.nonce === this.nonce) {
      return this.fail("authentication failed: the hello carries this connection's own nonce (reflected)");
    }
    this.remoteNode = hello.node;
    this.remoteNonce = hello.nonce;
    this.#theirNonce = Buffer.from(hello.nonce, 'hex');
    const refusal = this.#options.admit?.(hello.node, hello.nonce);
    if (refusal !== undefined) return this.fail(refusal);
    this.#state = 'proof';
    const proof = json({ t: 'proof' });
    this.#write(this.#proof(role, this.#nonce, this.#theirNonce, nodeId, hello.node, proof), proof);
  }

  #onProof(signature: Buffer, payload: Buffer): void {
    const theirRole: LinkRole = this.#options.role === 'dial' ? 'accept' : 'dial';
    const theirs = this.#theirNonce!;
    const expected = this.#proof(theirRole, theirs, this.#nonce, this.remoteNode!, this.#options.nodeId, payload);
    if (!timingSafeEqual(signature, expected)) {
      return this.fail('authentication failed: handshake proof does not verify (wrong secret, or a replayed hello)');
    }
    const message = JSON.parse(payload.toString('utf8')) as { t?: unknown };
    if (message.t !== 'proof') return this.fail('malformed proof');
    const { secret } = this.#options;
    this.#sendKey = mac(secret, KEY_LABEL, Buffer.concat([this.#nonce, this.#theirNonce!]));
    this.#receiveKey = mac(secret, KEY_LABEL, Buffer.concat([this.#theirNonce!, this.#nonce]));
    this.#state = 'open';
    clearTimeout(this.#handshakeTimer);
    this.emit('open', this.remoteNode);
    for (const message of this.#pending.splice(0)) this.send(message);
  }

  /** The proof of `prover` (in `role`), made over the verifier's nonce; both node ids bound in. */
  #proof(
    role: LinkRole,
    proverNonce: Buffer,
    verifierNonce: Buffer,
    prover: string,
    verifier: string,
    payload: Buffer,
  ): Buffer {
    const names = Buffer.from(`${role}\0${prover}\0${verifier}\0`);
    const transcript = Buffer.concat([names, proverNonce, verifierNonce, payload]);
    return mac(this.#options.secret, PROOF_LABEL, transcript);
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
    this.#bytes = 0;
    this.#pending.length = 0;
    this.socket.destroy();
    this.emit('close', reason, failed);
  }
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function mac(key: string | Buffer, label: string | Buffer, payload: Buffer): Buffer {
  return createHmac('sha256', key).update(label).update(payload).digest();
}

function counter(seq: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(seq);
  return out;
}
