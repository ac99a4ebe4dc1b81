import { access } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DEFAULTS } from '@postern/core';
import { clean } from './commands/clean.js';
import { doctor } from './commands/doctor.js';
import { init } from './commands/init.js';
import { replay } from './commands/replay.js';
import { sendTest } from './commands/send-test.js';
import { serve } from './commands/serve.js';
import { ConfigError, loadConfig, type LoadOptions, type ServeConfig } from './config.js';
import { createOutput } from './output.js';

const HELP = `postern: the standalone Postern relay and its tools.

Usage:
  postern init [--config postern.yaml] [--origin <o>]... [--endpoint <url>] [--port <n>] [--admin-port <n>] [--local-only] [--no-durable] [--force] [--yes]
  postern serve [--config <file> | --config-env <VAR>] [--tunnel-config-env <VAR>] [--host <h>] [--port <n>] [--admin-host <h>] [--admin-port <n>]
  postern doctor [--check-relay] [--config <file>] [--url <relay route URL>] [--origin <o>] [--json]
  postern clean [--config <file>] [--delivered-hours <n>] [--undelivered-days <n>] [--json]
  postern replay [--config <file>] [--json]
  postern send-test [--url <relay route URL>] [--origin <o>] [--config <file>] [--json]

Configuration: postern.yaml (written by "postern init"; --config picks another), then POSTERN_* environment
variables (POSTERN_PORT, POSTERN_PROJECT_TOKEN, POSTERN_ALLOWED_ORIGINS=a,b, ...), then flags. Without a
file, defaults and the environment are used. --config-env reads the YAML or JSON from an environment variable;
--tunnel-config-env reads the Sentry tunnel's settings (the tunnel: mapping) from one.

Health and metrics: the public port answers only GET /healthz (a constant body). /healthz, /readyz and
Prometheus /metrics are served on the admin listener, which is off unless adminPort is set
(POSTERN_ADMIN_PORT, --admin-port; "postern init" writes adminPort: 9464); it binds adminHost, 127.0.0.1 by default.
`;

const OPTIONS = {
  config: { type: 'string' },
  'config-env': { type: 'string' },
  'tunnel-config-env': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'admin-host': { type: 'string' },
  'admin-port': { type: 'string' },
  url: { type: 'string' },
  origin: { type: 'string', multiple: true },
  endpoint: { type: 'string' },
  'local-only': { type: 'boolean' },
  'no-durable': { type: 'boolean' },
  force: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  'check-relay': { type: 'boolean' },
  'delivered-hours': { type: 'string' },
  'undelivered-days': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function integerFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new ConfigError([
      `flag --${name}: must be a whole number, got ${JSON.stringify(value)}.`,
    ]);
  return Number(value);
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * `signalled`: for `serve`, the first SIGTERM or SIGINT, listened for by the caller before the modules loaded;
 * without it `serve` listens itself.
 */
export async function main(
  argv: string[],
  options: { signalled?: Promise<NodeJS.Signals> } = {},
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
  });
  const command = positionals[0];
  const out = createOutput(values.json === true);
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined && !values.help ? 2 : 0;
  }

  const load = async (): Promise<ServeConfig> => {
    const options: LoadOptions = {
      overrides: {
        port: integerFlag('port', values.port),
        host: values.host,
        adminPort: integerFlag('admin-port', values['admin-port']),
        adminHost: values['admin-host'],
      },
    };
    if (values['config-env']) {
      const text = process.env[values['config-env']];
      if (text === undefined)
        throw new ConfigError([`--config-env ${values['config-env']}: the variable is not set.`]);
      options.text = text;
      options.textSource = `environment ${values['config-env']}`;
    } else if (values.config) options.file = values.config;
    else if (await exists('postern.yaml')) options.file = 'postern.yaml';
    const tunnelVariable = values['tunnel-config-env'];
    if (tunnelVariable) {
      const text = process.env[tunnelVariable];
      if (text === undefined)
        throw new ConfigError([`--tunnel-config-env ${tunnelVariable}: the variable is not set.`]);
      options.tunnelText = text;
      options.tunnelTextSource = `environment ${tunnelVariable}`;
    }
    return loadConfig(options);
  };

  try {
    switch (command) {
      case 'init':
        return await init(
          {
            file: values.config ?? 'postern.yaml',
            force: values.force === true,
            interactive:
              process.stdin.isTTY === true &&
              process.stdout.isTTY === true &&
              values.yes !== true &&
              values.json !== true,
            answers: {
              ...(values.origin ? { origins: values.origin } : {}),
              ...(values['local-only'] ? { mode: 'local-only' as const } : {}),
              ...(values['no-durable'] ? { durable: false } : {}),
              ...(values.endpoint ? { endpoint: values.endpoint } : {}),
              ...(values.host ? { host: values.host } : {}),
              ...(values.port ? { port: Number(values.port) } : {}),
              ...(values['admin-port'] ? { adminPort: Number(values['admin-port']) } : {}),
            },
          },
          out,
        );
      case 'serve':
        return await serve(await load(), options.signalled);
      case 'doctor':
        return await doctor(
          {
            load,
            ...(values.url ? { url: values.url } : {}),
            ...(values.origin?.[0] ? { origin: values.origin[0] } : {}),
          },
          out,
        );
      case 'clean': {
        const deliveredHours = integerFlag('delivered-hours', values['delivered-hours']);
        const undeliveredDays = integerFlag('undelivered-days', values['undelivered-days']);
        return await clean(
          await load(),
          {
            ...(deliveredHours === undefined ? {} : { deliveredHours }),
            ...(undeliveredDays === undefined ? {} : { undeliveredDays }),
          },
          out,
        );
      }
      case 'replay':
        return await replay(await load(), out, process.stdout.isTTY === true);
      case 'send-test': {
        let url = values.url;
        let origin = values.origin?.[0];
        if (url === undefined || origin === undefined) {
          const config = await load();
          url ??= `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}${config.relay.path ?? DEFAULTS.path}`;
          origin ??= config.relay.allowedOrigins?.[0] ?? new URL(url).origin;
        }
        return await sendTest({ url, origin }, out);
      }
      default:
        out.error(`postern: unknown command "${command}"\n\n${HELP}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      out.error(`postern ${command}: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
