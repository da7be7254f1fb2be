import type { BackendConfig } from './options.js';

/** A snapshot of one backend, as returned by `backends()` and passed to `up`/`down` listeners. */
export interface BackendStatus {
  id: string;
  url: string;
  weight: number;
  /** False after `fall` failed checks or one connection error, true again after `rise` good checks. */
  healthy: boolean;
  /** Set by `drain(id)`: no new clients, pinned clients stay until idle. */
  draining: boolean;
  /** In-flight HTTP requests plus open WebSocket tunnels. */
  connections: number;
  /** Distinct clients (sticky client id, or address without `sticky`) seen within `clientIdleMs`. */
  clients: number;
  /** Requests sent to this backend since it was added. */
  requests: number;
  /** The last failure: health check or connection error. */
  lastError?: string;
}

/** The balancer's live record of one backend. */
export interface BackendState {
  id: string;
  url: string;
  weight: number;
  target: URL;
  healthy: boolean;
  draining: boolean;
  connections: number;
  requests: number;
  lastError?: string;
  successes: number;
  failures: number;
  /** Without active checks: when a passively downed backend is tried again (ms epoch). */
  retryAt?: number;
  stopChecks?: () => void;
}

/** A fresh backend record: healthy, not draining, no traffic yet. */
export function createBackendState({
  id,
  url,
  weight,
  target,
}: Required<BackendConfig> & { target: URL }): BackendState {
  return {
    id,
    url,
    weight,
    target,
    healthy: true,
    draining: false,
    connections: 0,
    requests: 0,
    successes: 0,
    failures: 0,
  };
}

export function backendStatus(b: BackendState, clients: number): BackendStatus {
  return {
    id: b.id,
    url: b.url,
    weight: b.weight,
    healthy: b.healthy,
    draining: b.draining,
    connections: b.connections,
    clients,
    requests: b.requests,
    ...(b.lastError !== undefined ? { lastError: b.lastError } : {}),
  };
}
