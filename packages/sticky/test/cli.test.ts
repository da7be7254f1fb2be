import { sparePort } from '@sessionkit/test-suite';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type TestBackend } from './support/backend.js';
import { send } from './support/http.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
/** Runs the CLI to its end: exit status and output. */
const run = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { encoding: 'utf8', timeout: 20_000 },
      (err, stdout, stderr) => {
        resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      },
    );
  });

describe('sessionkit-balancer CLI', () => {
  it('prints usage for --help', async () => {
    const { status, stdout } = await run('--help');
    expect(status).toBe(0);
    expect(stdout).toContain('Usage: sessionkit-balancer --listen');
  });

  // Each case starts a process; running them side by side keeps the file quick.
  it.concurrent.each([
    [['--backend', 'a=http://127.0.0.1:1'], '--listen is required'],
    [['--listen', '8080'], 'at least one --backend id=url is required'],
    [['--listen', 'nope', '--backend', 'a=http://127.0.0.1:1'], '--listen "nope" must be a port or host:port'],
    [['--listen', '8080', '--backend', 'http://127.0.0.1:1'], 'must look like id=http://host:port'],
    [['--listen', '8080', '--backend', 'a=http://127.0.0.1:1', '--strategy', 'random'], 'strategy must be one of'],
    [
      ['--listen', '8080', '--backend', 'a=http://127.0.0.1:1', '--sticky-cookie', 'S'],
      '--sticky-cookie needs --sticky-secret',
    ],
    [['--listen', '8080', '--backend', 'a=http://127.0.0.1:1', '--rise', '2'], '--rise and --fall need --health-path'],
    [['--listen', '8080', '--backend', 'a=http://127.0.0.1:1', '--trust-proxy', 'x'], '--trust-proxy needs a number'],
    [
      ['--listen', '8080', '--backend', 'a=http://127.0.0.1:1', '--max-connections', '0'],
      'maxConnections must be a positive whole number',
    ],
    [
      [
        '--listen',
        '8080',
        '--backend',
        'a=http://127.0.0.1:1',
        '--headers-timeout',
        '5000',
        '--request-timeout',
        '1000',
      ],
      'must not be more than requestTimeoutMs',
    ],
    [['--listen', '8080', '--bogus'], "Unknown option '--bogus'"],
  ])('rejects %j with a clear message and exit code 2', async (args, message) => {
    const { status, stderr } = await run(...args);
    expect(status).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain('--help');
  });

  describe('running', () => {
    let backends: TestBackend[];
    let child: ChildProcess;
    let output = '';
    const waitForOutput = async (text: string) => {
      for (let i = 0; i < 400 && !output.includes(text); i++) await new Promise((r) => setTimeout(r, 25));
      expect(output).toContain(text);
    };

    beforeAll(async () => {
      backends = await Promise.all(['a', 'b'].map((id) => startBackend(id)));
    });
    afterAll(async () => {
      child?.kill('SIGKILL');
      await Promise.all(backends.map((b) => b.close()));
    });

    it('balances, prints a line per backend on start and on each health change, exits on SIGTERM', async () => {
      const port = await sparePort();
      child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          CLI,
          '--listen',
          `127.0.0.1:${port}`,
          ...backends.flatMap((b) => ['--backend', `${b.id}=${b.url}`]),
          '--sticky-cookie',
          'SRV',
          '--health-path',
          '/healthz',
          '--health-interval',
          '100',
          '--fall',
          '1',
          '--rise',
          '1',
          '--max-connections',
          '100',
          '--headers-timeout',
          '2000',
          '--request-timeout',
          '5000',
          '--keep-alive-timeout',
          '1000',
        ],
        {
          env: { ...process.env, SESSIONKIT_STICKY_SECRET: 'cli-secret-0123456789' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      child.stdout?.on('data', (chunk: Buffer) => (output += String(chunk)));
      child.stderr?.on('data', (chunk: Buffer) => (output += String(chunk)));
      await waitForOutput(`backend b ${backends[1]?.url} UP`);
      expect(output).toContain(
        `sessionkit-balancer listening on http://127.0.0.1:${port} (round-robin, sticky cookie SRV, health checks GET /healthz)`,
      );
      expect(output).toContain(`backend a ${backends[0]?.url} UP`);

      const first = await send(`http://127.0.0.1:${port}/`, { cookieName: 'SRV' });
      expect(first.status).toBe(200);
      expect(first.cookie?.startsWith(`SRV=${first.backend}.`)).toBe(true);

      await backends[1]?.close();
      await waitForOutput(`backend b ${backends[1]?.url} DOWN: ECONNREFUSED`);
      expect((await send(`http://127.0.0.1:${port}/`)).backend).toBe('a');

      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    });
  });
});
