import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { createServer, connect, type AddressInfo } from 'node:net';
import type { JsonValue, Protocol } from './types.js';

/** A profile as a relay receives it: the contract's options, with `endpoint` pointing at the runner's upstream. */
export interface RelayConfig {
  profile: string;
  protocol: Protocol;
  /** The recording upstream's base URL, e.g. `http://127.0.0.1:41234`. */
  upstreamUrl: string;
  /**
   * The path cases are sent to, unless a case names its own (`request.path`): the profile's `path`, or the
   * protocol's default route; for a tunnel whose fixed path is off (`path: false`), the managed path of its
   * first DSN (SPEC section 25).
   */
  route: string;
  /**
   * The options to start with; `endpoint` is set for the browser protocol (a tunnel's upstreams are its DSNs).
   * `path` is always set: the profile's, or the default route; `false` for a tunnel that serves only its managed paths.
   */
  options: Record<string, JsonValue> & { endpoint?: string; path: string | false };
}

export interface RunningRelay {
  /** The full URL of the relay route, e.g. `http://127.0.0.1:3000/debugbundle/browser`. */
  url: string;
  close(): Promise<void>;
}

/** Anything the runner can start once per profile: an in-process server, a command, or a URL. */
export interface RelayTarget {
  name: string;
  start(config: RelayConfig): Promise<RunningRelay>;
  /**
   * Cases that cannot apply to this relay, each with the reason (a spool on a runtime without a filesystem),
   * keyed by a profile's name or a selector as `--grep` takes it (an id, a section, a requirement id, a
   * /regex/): they are reported as skipped with that reason, never run and never counted as passed.
   */
  notApplicable?: Readonly<Record<string, string>>;
}

/** Ports this process handed out: profiles start at once, and the kernel may offer a port again once it is closed. */
const handedOut = new Set<number>();

/** A port free on loopback right now, and not handed out by this function before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (address === null || typeof address === 'string')
      throw new Error('could not find a free port');
    if (handedOut.has(address.port)) continue;
    handedOut.add(address.port);
    return address.port;
  }
}

/** Resolves once something accepts connections on 127.0.0.1:`port`; `exited` reports a process that died first. */
export async function waitForPort(
  port: number,
  timeoutMs = 30_000,
  exited: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exit = exited();
    if (exit !== undefined) throw new Error(exit);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface CommandTargetOptions {
  name: string;
  /** A shell command that starts the relay; it reads its configuration from the environment. */
  command: string;
  cwd?: string;
  env?: Record<string, string>;
  startTimeoutMs?: number;
  /** Where the command's output goes; by default it is kept and shown only if the relay fails to start. */
  onOutput?: (chunk: string) => void;
  notApplicable?: RelayTarget['notApplicable'];
}

/**
 * A relay in any language, started once per profile as a child process. It gets, in its environment:
 * `PORT` (listen on 127.0.0.1 there), `POSTERN_PROTOCOL` (`browser` or `sentry-tunnel`), `POSTERN_PROFILE`
 * (the options of that protocol as JSON, endpoint or DSNs included), `POSTERN_PROFILE_NAME`,
 * `POSTERN_UPSTREAM_URL` (the recording upstream) and `POSTERN_RELAY_PATH` (the route cases are sent to).
 */
export function commandTarget(options: CommandTargetOptions): RelayTarget {
  return {
    name: options.name,
    ...(options.notApplicable === undefined ? {} : { notApplicable: options.notApplicable }),
    async start(config) {
      const port = await freePort();
      const child = spawn(options.command, {
        shell: true,
        cwd: options.cwd,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          ...options.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          POSTERN_PROTOCOL: config.protocol,
          POSTERN_PROFILE: JSON.stringify(config.options),
          POSTERN_PROFILE_NAME: config.profile,
          POSTERN_UPSTREAM_URL: config.upstreamUrl,
          POSTERN_RELAY_PATH: config.route,
        },
      });
      let output = '';
      const collect = (chunk: Buffer): void => {
        const text = chunk.toString('utf8');
        if (options.onOutput) options.onOutput(text);
        else output = (output + text).slice(-8000);
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      let exit: string | undefined;
      const exited = new Promise<void>((resolve) => {
        child.once('exit', (code, signal) => {
          exit = `"${options.command}" exited (${signal ?? code}) before listening on port ${port}:\n${output}`;
          resolve();
        });
      });
      const stop = async (): Promise<void> => {
        if (exit !== undefined || child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          return;
        }
        const killer = setTimeout(() => {
          try {
            process.kill(-(child.pid as number), 'SIGKILL');
          } catch {
            // already gone
          }
        }, 3000);
        await exited;
        clearTimeout(killer);
      };
      try {
        await waitForPort(port, options.startTimeoutMs ?? 30_000, () => exit);
      } catch (error) {
        await stop();
        throw error;
      }
      return { url: `http://127.0.0.1:${port}${config.route}`, close: stop };
    },
  };
}

/**
 * A relay that is already running and configured by hand: the runner can only use the cases of the one
 * profile it was configured for, and the relay must forward to the runner's upstream (see `--sink-port`).
 */
export function urlTarget(name: string, url: string): RelayTarget {
  return {
    name,
    async start() {
      return { url, close: async () => undefined };
    },
  };
}

/**
 * A relay built in this process on a `node:http` server (Express's `http.createServer(app)`, Fastify's
 * `app.server` after `ready()`, …), listening on a fresh loopback port for each profile.
 */
export function serverTarget(
  name: string,
  create: (options: RelayConfig['options'], config: RelayConfig) => Server | Promise<Server>,
): RelayTarget {
  return {
    name,
    async start(config) {
      const server = await create(config.options, config);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      const { port } = server.address() as AddressInfo;
      return {
        url: `http://127.0.0.1:${port}${config.route}`,
        close: () =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      };
    },
  };
}
