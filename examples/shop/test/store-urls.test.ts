import { describe, expect, it } from 'vitest';
import { instanceStoreUrls } from '../src/deployment.js';

describe('instanceStoreUrls', () => {
  it('gives every instance the same URL for a shared store', () => {
    expect(instanceStoreUrls('redis://127.0.0.1:6379', ['shop-1', 'shop-2'], 4000)).toEqual([
      'redis://127.0.0.1:6379',
      'redis://127.0.0.1:6379',
    ]);
  });

  it('makes each instance a cluster node on its own port with the others as peers, keeping given parameters', () => {
    const urls = instanceStoreUrls('cluster://?ack=one', ['shop-1', 'shop-2', 'shop-3'], 4004);
    expect(urls).toEqual([
      'cluster://127.0.0.1:4004?ack=one&peers=127.0.0.1:4005,127.0.0.1:4006&node=shop-1',
      'cluster://127.0.0.1:4005?ack=one&peers=127.0.0.1:4004,127.0.0.1:4006&node=shop-2',
      'cluster://127.0.0.1:4006?ack=one&peers=127.0.0.1:4004,127.0.0.1:4005&node=shop-3',
    ]);
  });
});
