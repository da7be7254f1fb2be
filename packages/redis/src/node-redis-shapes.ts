import { StoreConfigError } from '@sessionkit/core';
import type { NodeRedisClient } from './client.js';

/** node-redis clients are EventEmitters. */
export interface Emitter {
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
}

// The parts of node-redis' three client types the store uses, beyond NodeRedisClient.
export interface StandaloneShape {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  sendCommand(args: string[]): Promise<unknown>;
}
export interface ClusterShape {
  readonly isOpen: boolean;
  readonly masters: unknown[];
  nodeClient(node: unknown): Promise<StandaloneShape> | StandaloneShape;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  sendCommand(firstKey: string | undefined, isReadonly: boolean, args: string[]): Promise<unknown>;
}
export interface SentinelShape {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): Promise<void>;
  sendCommand(isReadonly: boolean, args: string[]): Promise<unknown>;
}

/** A standalone node-redis client as far as subscribing goes. */
export interface SubscribableShape {
  duplicate(): SubscribableShape;
  connect(): Promise<unknown>;
  sendCommand(args: string[]): Promise<unknown>;
  subscribe(channel: string, listener: (message: unknown) => void): Promise<unknown>;
  on(event: 'error', listener: () => void): unknown;
}

export type Topology = 'client' | 'cluster' | 'sentinel';

/** Which of node-redis' clients `client` is: `createCluster` ones have `nodeClient`, `createSentinel` ones `acquire`. */
export function topologyOf(client: NodeRedisClient): Topology {
  const shape = client as unknown as Record<string, unknown>;
  if (typeof shape['nodeClient'] === 'function') return 'cluster';
  if (typeof shape['acquire'] === 'function') return 'sentinel';
  if (typeof shape['duplicate'] === 'function' && typeof shape['connect'] === 'function' && 'isReady' in shape)
    return 'client';
  throw new StoreConfigError(
    'this node-redis object is not a client from createClient, createCluster or createSentinel (a client pool is not supported: hand in a client)',
  );
}

/** Drops every connection of `client` at once; a client already closed (which throws) is left as it is. */
export async function destroy(client: StandaloneShape | ClusterShape | SentinelShape): Promise<void> {
  try {
    await client.destroy();
  } catch {
    // closed already
  }
}
