// The documentation, checked against the code: every README snippet marked with an example is that example
// (or its region), byte for byte; every other snippet of the root README and every JSDoc `@example` in the
// packages' sources type-checks against the built packages; every option table names options that exist and
// states the defaults the code has.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEYS, loadConfig } from '@postern/cli';
import {
  createBrowserRelay,
  createTunnel,
  DEFAULTS,
  resolveDeliverySettings,
  TUNNEL_DEFAULTS,
} from '@postern/core';
import { withNodeTransport } from '@postern/node';
import { claimLeaseMs } from '@postern/core/spool';
import {
  createRedisDedupStore,
  createRedisStore,
  REDIS_SPOOL_DEFAULTS,
  type RedisScriptClient,
} from '@postern/redis';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { exampleMarkers, exampleSnippet, regionsOf, snippetAfterMarker } from './snippets.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PACKAGES = [
  'browser',
  'cli',
  'core',
  'express',
  'fastify',
  'hono',
  'next',
  'node',
  'redis',
  'sveltekit',
];
const READMES = [
  'README.md',
  'conformance/README.md',
  ...PACKAGES.map((name) => `packages/${name}/README.md`),
];

const read = (path: string): Promise<string> => readFile(join(root, path), 'utf8');

// ---------------------------------------------------------------------------------------------------------
// Markdown

interface CodeBlock {
  file: string;
  /** The line of the opening fence, from 1. */
  line: number;
  lang: string;
  code: string;
  /** The `<!-- example: … -->` marker on the lines just before the fence, if any. */
  marker?: string;
}

interface Table {
  file: string;
  line: number;
  /** The `##` heading the table is under. */
  section: string;
  header: string[];
  rows: string[][];
}

function codeBlocks(markdown: string, file: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w*)\s*$/.exec(lines[i] as string);
    if (!fence) continue;
    const end = lines.findIndex((line, j) => j > i && line.startsWith('```'));
    let before = i - 1;
    while (before >= 0 && (lines[before] as string).trim() === '') before--;
    const marker = /^<!-- example: (\S+) -->$/.exec((lines[before] ?? '').trim())?.[1];
    blocks.push({
      file,
      line: i + 1,
      lang: fence[1] as string,
      code: `${lines.slice(i + 1, end).join('\n')}\n`,
      ...(marker === undefined ? {} : { marker }),
    });
    i = end;
  }
  return blocks;
}

/** A row's cells; `\|` is a pipe inside a cell. */
const cells = (line: string): string[] =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replaceAll('\\|', '|'));

function tables(markdown: string, file: string): Table[] {
  const found: Table[] = [];
  const lines = markdown.split('\n');
  let section = '';
  let fenced = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced) continue;
    if (line.startsWith('## ')) section = line.slice(3).trim();
    if (!line.startsWith('|') || !/^\|[\s|:-]+\|$/.test((lines[i + 1] ?? '').trim())) continue;
    const rows: string[][] = [];
    let j = i + 2;
    for (; j < lines.length && (lines[j] as string).startsWith('|'); j++)
      rows.push(cells(lines[j] as string));
    found.push({ file, line: i + 1, section, header: cells(line), rows });
    i = j - 1;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------------
// Snippets marked with an example

async function filesUnder(dir: string, skip: Set<string>): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!skip.has(entry.name)) files.push(...(await filesUnder(path, skip)));
    } else if (/\.(m?js|ts)$/.test(entry.name)) files.push(path);
  }
  return files;
}

describe('README snippets marked with an example', () => {
  it('are the example, or the region of it the marker names, byte for byte', async () => {
    let checked = 0;
    for (const file of READMES) {
      const readme = await read(file);
      for (const { spec, line } of exampleMarkers(readme)) {
        const snippet = snippetAfterMarker(readme, spec);
        expect(
          snippet,
          `${file}:${line}: no js/ts code block right after the marker`,
        ).toBeDefined();
        expect(snippet, `${file}:${line}: the snippet is not what ${spec} holds`).toBe(
          await exampleSnippet(root, spec),
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });

  it('cover every region an example marks for a README', async () => {
    const shown = new Set<string>();
    for (const file of READMES)
      for (const { spec } of exampleMarkers(await read(file))) shown.add(spec);
    const skip = new Set(['node_modules', '.next', '.svelte-kit', 'build', 'dist', 'test']);
    const sources = [
      ...(await filesUnder('examples', skip)),
      ...(await filesUnder('packages/redis/test', new Set())),
    ];
    const unshown: string[] = [];
    for (const path of sources) {
      for (const name of regionsOf(await read(path), path).keys())
        if (!shown.has(`${path}#${name}`)) unshown.push(`${path}#${name}`);
    }
    expect(unshown, 'regions no README shows').toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Type-checking snippets: every JSDoc @example in packages/*/src and conformance/src, and every root README snippet not marked
// with an example, in one program against the built packages (their package.json exports, as an app
// resolves them).

interface Snippet {
  /** Where it is written, for messages: `path:line`. */
  origin: string;
  /** Where it is checked from: a file name beside the source, so the source's package resolves imports. */
  path: string;
  /** The line of the source its first line is on, from 1. */
  line: number;
  code: string;
}

/** The JSDoc `@example` blocks of a source file: the lines after the tag, up to the next tag or the comment's end. */
function jsdocExamples(source: string, path: string): Snippet[] {
  const found: Snippet[] = [];
  for (const comment of source.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const first = source.slice(0, comment.index).split('\n').length;
    const lines = comment[0]
      .replace(/\*\/$/, '')
      .split('\n')
      .map((line) => line.replace(/^\s*\/?\*\*? ?/, ''));
    lines.forEach((line, index) => {
      if (!line.startsWith('@example')) return;
      const end = lines.findIndex((next, j) => j > index && next.startsWith('@'));
      const body = lines.slice(index + 1, end === -1 ? undefined : end);
      while (body.length > 0 && (body.at(-1) as string).trim() === '') body.pop();
      found.push({
        origin: `${path}:${first + index + 1}`,
        path: join(root, dirname(path), `.example-${first + index + 1}.ts`),
        line: first + index + 1,
        code: `${body.join('\n')}\n`,
      });
    });
  }
  return found;
}

/**
 * What the snippets may take for granted that no package provides: SvelteKit generates `$env/dynamic/private`
 * per app (this is its shape for variables without a public prefix).
 */
const AMBIENT = `declare module '$env/dynamic/private' {
  export const env: Record<string, string | undefined>;
}
`;

const OPTIONS_MODULE = join(root, 'examples', 'test', '.option-types.ts');
/** The interfaces the option tables document, by the name the tables are routed to below. */
const OPTION_TYPES: Record<string, [module: string, type: string]> = {
  'core relay': ['@postern/core', 'BrowserRelayOptions'],
  'core tunnel': ['@postern/core', 'TunnelOptions'],
  'redis store': ['@postern/redis', 'RedisStoreOptions'],
  'redis dedup': ['@postern/redis', 'RedisDedupStoreOptions'],
  'redis spool': ['@postern/redis', 'RedisSpoolOptions'],
  browser: ['@postern/browser', 'InitOptions'],
  'node relay': ['@postern/node', 'NodeRelayOptions'],
  'node tunnel': ['@postern/node', 'NodeTunnelOptions'],
  'express relay': ['@postern/express', 'ExpressRelayOptions'],
  'express tunnel': ['@postern/express', 'ExpressTunnelOptions'],
  'fastify relay': ['@postern/fastify', 'FastifyRelayOptions'],
  'fastify tunnel': ['@postern/fastify', 'FastifyTunnelOptions'],
  'hono relay': ['@postern/hono', 'HonoRelayOptions'],
  'hono tunnel': ['@postern/hono', 'HonoTunnelOptions'],
  'next relay': ['@postern/next', 'NextRelayOptions'],
  'next tunnel': ['@postern/next', 'NextTunnelOptions'],
  'sveltekit relay': ['@postern/sveltekit', 'SvelteKitRelayOptions'],
  'sveltekit tunnel': ['@postern/sveltekit', 'SvelteKitTunnelOptions'],
};

interface OptionType {
  names: Set<string>;
  /** Properties without `?`. */
  required: Set<string>;
}

interface Checked {
  diagnostics: string[];
  optionTypes: Map<string, OptionType>;
  snippets: number;
}

async function typeCheck(): Promise<Checked> {
  const snippets: Snippet[] = [];
  for (const dir of [...PACKAGES.map((name) => `packages/${name}/src`), 'conformance/src']) {
    const skip = new Set(['node_modules']);
    for (const path of await filesUnder(dir, skip)) {
      if (!path.endsWith('.ts') || /\.(test|generated)\.|\.d\.ts$/.test(path)) continue;
      snippets.push(...jsdocExamples(await read(path), path));
    }
  }
  for (const block of codeBlocks(await read('README.md'), 'README.md')) {
    if (block.marker !== undefined || (block.lang !== 'js' && block.lang !== 'ts')) continue;
    snippets.push({
      origin: `README.md:${block.line + 1}`,
      path: join(root, `.readme-${block.line}.${block.lang}`),
      line: block.line + 1,
      code: block.code,
    });
  }

  const virtual = new Map<string, string>(snippets.map((snippet) => [snippet.path, snippet.code]));
  const ambient = join(root, 'examples', 'test', '.ambient.d.ts');
  virtual.set(ambient, AMBIENT);
  virtual.set(
    OPTIONS_MODULE,
    Object.entries(OPTION_TYPES)
      .map(([key, [module, type]], index) => {
        return `import type { ${type} as T${index} } from '${module}';\nexport type O${index} = T${index}; // ${key}\n`;
      })
      .join(''),
  );

  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')],
    strict: true,
    allowJs: true,
    checkJs: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
  };
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile: readText, getSourceFile } = host;
  host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file);
  host.readFile = (file) => virtual.get(file) ?? readText.call(host, file);
  host.getSourceFile = (file, language, ...rest) => {
    const text = virtual.get(file);
    return text === undefined
      ? getSourceFile.call(host, file, language, ...rest)
      : ts.createSourceFile(file, text, language, true);
  };
  const program = ts.createProgram([...virtual.keys()], options, host);

  const diagnostics: string[] = [];
  for (const snippet of [
    ...snippets,
    { origin: 'option types', path: OPTIONS_MODULE, line: 1, code: '' },
  ]) {
    const file = program.getSourceFile(snippet.path) as ts.SourceFile;
    for (const diagnostic of [
      ...program.getSyntacticDiagnostics(file),
      ...program.getSemanticDiagnostics(file),
    ]) {
      const { line } = file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      const [path] = snippet.origin.split(':');
      diagnostics.push(
        `${path}:${snippet.line + line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`,
      );
    }
  }

  const checker = program.getTypeChecker();
  const module = program.getSourceFile(OPTIONS_MODULE) as ts.SourceFile;
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(module) as ts.Symbol);
  const optionTypes = new Map<string, OptionType>();
  Object.keys(OPTION_TYPES).forEach((key, index) => {
    const symbol = exports.find((entry) => entry.name === `O${index}`) as ts.Symbol;
    const properties = checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol));
    optionTypes.set(key, {
      names: new Set(properties.map((property) => property.name)),
      required: new Set(
        properties
          .filter((property) => (property.flags & ts.SymbolFlags.Optional) === 0)
          .map((property) => property.name),
      ),
    });
  });
  return { diagnostics, optionTypes, snippets: snippets.length };
}

let checked: Promise<Checked> | undefined;
const typeChecked = (): Promise<Checked> => {
  checked ??= typeCheck();
  return checked;
};

describe('code in the docs type-checks against the built packages', () => {
  it('every JSDoc @example in packages/*/src and conformance/src, and every root README snippet not marked with an example', async () => {
    const { diagnostics, snippets } = await typeChecked();
    expect(snippets).toBeGreaterThan(20);
    expect(diagnostics).toEqual([]);
  }, 60_000);

  it('every js/ts block of the root README is either marked with an example or type-checked above', async () => {
    const blocks = codeBlocks(await read('README.md'), 'README.md').filter(
      (block) => block.lang === 'js' || block.lang === 'ts',
    );
    expect(blocks.length).toBeGreaterThan(5);
    // A block in another language (`javascript`, `tsx`, none) would be neither.
    const other = codeBlocks(await read('README.md'), 'README.md').filter(
      (block) => !['js', 'ts', 'sh', ''].includes(block.lang),
    );
    expect(other.map((block) => `README.md:${block.line} ${block.lang}`)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Option tables: a table with an `option` (or `key`) column and a `default` column.

/** Which option type each option table documents, by file and `##` section. */
const TABLE_TYPES: Record<string, string> = {
  'packages/core/README.md # Options': 'core relay',
  'packages/core/README.md # The Sentry tunnel': 'core tunnel',
  'conformance/README.md # Run it against your relay': 'core relay',
  'packages/cli/README.md # Configuration': 'cli',
  'packages/cli/README.md # Health, readiness and metrics': 'cli',
  'packages/redis/README.md # Rate-limit store': 'redis store',
  'packages/redis/README.md # Dedup store': 'redis dedup',
  'packages/redis/README.md # A spool the fleet shares (Redis Streams)': 'redis spool',
  'packages/cli/README.md # Delivery': 'cli',
  'packages/browser/README.md # Options': 'browser',
  ...Object.fromEntries(
    ['node', 'express', 'fastify', 'hono', 'next', 'sveltekit'].flatMap((name) => [
      [`packages/${name}/README.md # Options`, `${name} relay`],
      [`packages/${name}/README.md # Sentry tunnel`, `${name} tunnel`],
    ]),
  ),
};

/** The protocol an option type belongs to, for its runtime defaults. */
const protocolOf = (type: string): 'relay' | 'tunnel' | undefined =>
  type.endsWith(' relay') ? 'relay' : type.endsWith(' tunnel') ? 'tunnel' : undefined;

interface Defaults {
  /** The runtime default of each option that has one as a value. */
  values: Map<string, unknown>;
  /** Options an app must give, though the type has them optional (a mode makes them so). */
  requiredAtRun: Set<string>;
}

/** A fake Redis client: records the keys of each script call, and answers as told. */
function fakeRedis(answer: () => Promise<unknown>): RedisScriptClient & { keys: string[] } {
  const keys: string[] = [];
  const call = (_script: string, count: number, ...args: Array<string | number>) => {
    keys.push(...args.slice(0, count).map(String));
    return answer();
  };
  return { keys, evalsha: call, eval: call };
}

/** A relay's answer to a batch of one invalid event, from an allowed origin. */
async function rejectedStatus(options: { acknowledgeRejections?: boolean }): Promise<number> {
  const relay = createBrowserRelay({
    projectToken: 'probe',
    allowedOrigins: ['https://app.example'],
    fetch: async () => new Response(null, { status: 202 }),
    ...options,
  });
  const headers: Record<string, string> = {
    host: 'relay.example',
    origin: 'https://app.example',
    'content-type': 'application/json',
  };
  const response = await relay.handle({
    method: 'POST',
    header: (name) => headers[name],
    clientAddress: '192.0.2.1',
    body: JSON.stringify({ batch: [{}] }),
    path: DEFAULTS.path,
  });
  await relay.close();
  return response.status;
}

/** The defaults the code has, found by running it where no constant holds them. */
async function runtimeDefaults(): Promise<Record<string, Defaults>> {
  // Connected, direct delivery: what `resolveDeliverySettings` makes of no options.
  const delivery = resolveDeliverySettings({});
  const [byDefault, whenTrue, whenFalse] = [
    await rejectedStatus({}),
    await rejectedStatus({ acknowledgeRejections: true }),
    await rejectedStatus({ acknowledgeRejections: false }),
  ];
  expect([whenFalse, whenTrue], 'the acknowledgeRejections probe tells the two apart').toEqual([
    400, 202,
  ]);
  const relay: Defaults = {
    values: new Map<string, unknown>([
      ...Object.entries(DEFAULTS),
      ['projectMode', delivery.mode === 'local-only' ? 'local-only' : 'connected'],
      ['durableWrite', delivery.mode === 'durable'],
      ['acknowledgeRejections', byDefault === whenTrue],
    ]),
    requiredAtRun: new Set(),
  };
  // projectToken is optional in the type (local-only mode needs none) and required in connected mode.
  expect(() => createBrowserRelay({})).toThrow(/projectToken/);
  relay.requiredAtRun.add('projectToken');

  const dsn = 'https://public@o1.ingest.sentry.io/42';
  const paths = (managedPaths?: boolean): readonly string[] =>
    createTunnel({ dsns: [dsn], ...(managedPaths === undefined ? {} : { managedPaths }) }).paths;
  expect(paths(true), 'the managedPaths probe tells the two apart').not.toEqual(paths(false));
  const tunnel: Defaults = {
    values: new Map<string, unknown>([
      ...Object.entries(TUNNEL_DEFAULTS),
      ['managedPaths', paths().length === paths(true).length],
    ]),
    requiredAtRun: new Set(),
  };

  // The Redis stores: the prefix each key gets, and what a call gets while Redis fails.
  const ok = fakeRedis(async () => [1, 59, 60_000]);
  await createRedisStore({ client: ok }).hit('client', 60, 60_000);
  const down = async () => {
    throw new Error('connection closed');
  };
  const [failOpen, failDenied] = [
    await createRedisStore({ client: fakeRedis(down) }).hit('client', 60, 60_000),
    await createRedisStore({ client: fakeRedis(down), whenUnavailable: 'deny' }).hit(
      'client',
      60,
      60_000,
    ),
  ];
  expect(failDenied.allowed).toBe(false);
  const dedup = fakeRedis(async () => [0]);
  await Promise.resolve(
    createRedisDedupStore({ client: dedup }).seen(['0b7c5e2e-6f7d-4b8f-9a3e-5f1d2c3b4a59']),
  ).catch(() => undefined);

  // The browser client's defaults are arguments in its source: `count('<name>', options.<name>, <default>)`
  // and `options.<name> !== false`.
  const browser: Defaults = { values: new Map(), requiredAtRun: new Set() };
  const clientSource = ts.createSourceFile(
    'client.ts',
    await read('packages/browser/src/client.ts'),
    ts.ScriptTarget.Latest,
    true,
  );
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      node.expression.getText() === 'count' &&
      ts.isStringLiteral(node.arguments[0] as ts.Expression) &&
      ts.isNumericLiteral(node.arguments[2] as ts.Expression)
    )
      browser.values.set(
        (node.arguments[0] as ts.StringLiteral).text,
        Number((node.arguments[2] as ts.NumericLiteral).text),
      );
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.ExclamationEqualsEqualsToken &&
      node.right.kind === ts.SyntaxKind.FalseKeyword &&
      /^options\.\w+$/.test(node.left.getText())
    )
      browser.values.set(node.left.getText().slice('options.'.length), true);
    node.forEachChild(visit);
  };
  visit(clientSource);

  // The standalone server: what `loadConfig` makes of a configuration that sets nothing it need not.
  const config = await loadConfig({ text: 'projectMode: local-only', env: {} });
  const withAdmin = await loadConfig({ text: 'projectMode: local-only\nadminPort: 9464', env: {} });
  const withRedis = await loadConfig({
    text: 'projectToken: t\ndurableWrite: true\nspoolRedis: redis://127.0.0.1:6379',
    env: {},
  });
  const cli: Defaults = {
    values: new Map<string, unknown>([
      ['host', config.host],
      ['port', config.port],
      ['logLevel', config.logLevel],
      ['shutdownTimeoutMs', config.shutdownTimeoutMs],
      ['headersTimeoutMs', config.headersTimeoutMs],
      ['requestTimeoutMs', config.requestTimeoutMs],
      ['deliveredRetentionHours', config.deliveredRetentionHours],
      ['undeliveredRetentionDays', config.undeliveredRetentionDays],
      ['adminPort', config.admin?.port],
      ['adminHost', withAdmin.admin?.host],
      ['spoolRedisPrefix', withRedis.spoolRedis?.prefix],
    ]),
    requiredAtRun: new Set(),
  };

  return {
    relay,
    tunnel,
    browser,
    cli,
    'redis store': {
      values: new Map<string, unknown>([
        ['prefix', (ok.keys[0] as string).slice(0, -'client'.length)],
        ['whenUnavailable', failOpen.allowed ? 'allow' : 'deny'],
      ]),
      requiredAtRun: new Set(),
    },
    'redis dedup': {
      values: new Map([['prefix', (dedup.keys[0] as string).replace(/[0-9a-f-]{36}$/, '')]]),
      requiredAtRun: new Set(),
    },
    'redis spool': {
      values: new Map<string, unknown>(Object.entries(REDIS_SPOOL_DEFAULTS)),
      requiredAtRun: new Set(),
    },
  };
}

/**
 * Defaults that are not values, as the tables word them, and why each is right. A default cell is either
 * a value (`60`, `` `/postern/tunnel` ``, `20971520 (20 MiB)`, `` `false` (direct) ``), which must equal the
 * runtime default, or one of these words: `required`, a dash, `none` (no default: the runtime has none), or
 * an entry here.
 */
const WORDED_DEFAULTS: Record<string, { why: string; check?: (defaults: Defaults) => void }> = {
  'allowedOrigins: same origin as `Host`': {
    why: 'no list: the gate checks Origin against the request’s own Host (origin.ts)',
  },
  'trustProxy: `false`': { why: 'unset: client-ip.ts trusts no proxy, as `false` says' },
  'trustProxy: none': { why: 'unset: client-ip.ts trusts no proxy' },
  'trustProxy: trust nobody': { why: 'unset: client-ip.ts trusts no proxy' },
  'rateLimitStore: memory': { why: 'unset: the engine makes a memory store (createMemoryStore)' },
  'dedupStore: memory, 100 000 ids': {
    why: 'unset: the engine makes createMemoryDedupStore(), which keeps 100 000 ids by default',
  },
  'fetch: global `fetch`': { why: 'unset: the runtime’s fetch' },
  'transport: over `fetch`': { why: 'unset: a transport over `fetch` (fetchTransport)' },
  'transport: `undiciTransport()`': {
    why: 'the Node adapters fill it in with withNodeTransport unless `transport` or `fetch` is given',
    check: () => {
      const none: Parameters<typeof withNodeTransport>[0] = {};
      expect(withNodeTransport(none).transport).toBeDefined();
      expect(withNodeTransport({ ...none, fetch }).transport).toBeUndefined();
    },
  },
  'allowedOrigins: as above': { why: 'the same gate as the relay' },
  'trustProxy: as above': { why: 'the same gate as the relay' },
  'rateLimit: as above': { why: 'the same gate as the relay' },
  'rateLimitStore: as above': { why: 'the same gate as the relay' },
  'maxDecodedBytesPerClient: a quarter of the above, at least `maxEnvelopeBytes`': {
    why: 'computed from maxDecodedBytesInFlight and maxEnvelopeBytes (tunnel/budget.ts)',
  },
  // The conformance README's table says what a relay under test is given: these two always are.
  'projectToken: (always given)': {
    why: 'every profile that needs a token gives one (local-only needs none)',
    check: () => undefined,
  },
  'endpoint: (always given by the runner)': {
    why: 'the runner points it at its recording upstream in every browser profile',
    check: () => undefined,
  },
  'service: not forced': { why: 'unset: events keep their own' },
  'environment: not forced': { why: 'unset: events keep their own' },
  'leaseMs: `upstreamTimeoutMs` + 5000': {
    why: 'unset: claimLeaseMs(upstreamTimeoutMs), the file spool’s lease too',
    check: () => expect(claimLeaseMs(10_000)).toBe(15_000),
  },
  'consumer: host, pid, random': { why: 'unset: the host name, the pid and six random hex digits' },
  'adminPort: off': {
    why: 'no admin listener unless adminPort is set',
    check: (defaults) => expect(defaults.values.get('adminPort')).toBeUndefined(),
  },
};

const NO_DEFAULT = new Set(['', '—', '–', '-', 'none']);
const UNITS: Record<string, number> = { KiB: 1024, MiB: 1024 ** 2 };

/** The value a default cell states, or undefined when it states a word instead. */
function statedValue(cell: string): { value: unknown; rest: string } | undefined {
  const quoted = /^`([^`]*)`(.*)$/.exec(cell);
  const bare = /^(\d+)(?: (KiB|MiB)\b)?(.*)$/.exec(cell);
  if (!quoted && !bare) return undefined;
  const text = quoted ? (quoted[1] as string) : (bare?.[1] as string);
  const unit = bare?.[2] === undefined ? 1 : (UNITS[bare[2]] as number);
  const value =
    text === 'true' || text === 'false'
      ? text === 'true'
      : /^\d+$/.test(text)
        ? Number(text) * unit
        : text;
  return { value, rest: ((quoted ? quoted[2] : bare?.[3]) ?? '').trim() };
}

describe('option tables', () => {
  let found: Table[];
  let defaults: Record<string, Defaults>;
  let types: Map<string, OptionType>;

  beforeAll(async () => {
    found = [];
    for (const file of READMES)
      for (const table of tables(await read(file), file)) {
        const header = table.header.map((cell) => cell.toLowerCase());
        if (
          header.some((cell) => cell === 'option' || cell === 'key') &&
          header.some((cell) => cell.includes('default'))
        )
          found.push(table);
      }
    defaults = await runtimeDefaults();
    types = (await typeChecked()).optionTypes;
  }, 60_000);

  it('are each routed to the type they document', () => {
    const routes = found.map((table) => `${table.file} # ${table.section}`);
    expect([...new Set(routes)].sort()).toEqual(Object.keys(TABLE_TYPES).sort());
  });

  it('name options that exist and state the defaults the code has', () => {
    const problems: string[] = [];
    for (const table of found) {
      const type = TABLE_TYPES[`${table.file} # ${table.section}`] as string;
      const header = table.header.map((cell) => cell.toLowerCase());
      const nameColumn = header.findIndex((cell) => cell === 'option' || cell === 'key');
      const defaultColumn = header.findIndex((cell) => cell.includes('default'));
      const names =
        type === 'cli' ? new Set(Object.keys(KEYS)) : (types.get(type) as OptionType).names;
      const required =
        type === 'cli' ? new Set<string>() : (types.get(type) as OptionType).required;
      const runtime =
        defaults[protocolOf(type) ?? type] ??
        ({ values: new Map(), requiredAtRun: new Set() } as Defaults);
      table.rows.forEach((row, index) => {
        const where = `${table.file}:${table.line + 2 + index}`;
        const options = (row[nameColumn] as string)
          .split(',')
          .map((name) => name.trim().replace(/^`|`$/g, ''));
        const cell = (row[defaultColumn] as string).trim();
        const parts = cell.split(/,\s*/);
        options.forEach((name, position) => {
          if (!names.has(name)) {
            problems.push(`${where}: ${name} is not an option of ${type}`);
            return;
          }
          const stated =
            options.length > 1 && parts.length === options.length
              ? (parts[position] as string)
              : cell;
          const actual = runtime.values.get(name);
          const worded = WORDED_DEFAULTS[`${name}: ${stated}`];
          if (worded) {
            if (worded.check) worded.check(runtime);
            else if (actual !== undefined)
              problems.push(
                `${where}: ${name} defaults to ${JSON.stringify(actual)}, not "${stated}"`,
              );
            return;
          }
          if (stated === 'required') {
            if (!required.has(name) && !runtime.requiredAtRun.has(name))
              problems.push(
                `${where}: ${name} is said to be required, but ${type} has it optional`,
              );
            return;
          }
          if (NO_DEFAULT.has(stated)) {
            if (actual !== undefined)
              problems.push(
                `${where}: ${name} is said to have no default, but it is ${String(actual)}`,
              );
            return;
          }
          const value = statedValue(stated);
          if (value === undefined) {
            problems.push(
              `${where}: ${name}: "${stated}" is neither a value nor a default worded in WORDED_DEFAULTS`,
            );
            return;
          }
          if (value.value !== actual)
            problems.push(
              `${where}: ${name} defaults to ${JSON.stringify(actual)}, not ${JSON.stringify(value.value)}`,
            );
          // A size written out beside the number must be that number.
          const size = /^\((\d+) (KiB|MiB)\)$/.exec(value.rest);
          if (size && Number(size[1]) * (UNITS[size[2] as string] as number) !== actual)
            problems.push(`${where}: ${name}: ${value.rest} is not ${String(actual)} bytes`);
        });
      });
    }
    expect(problems).toEqual([]);
  });
});
