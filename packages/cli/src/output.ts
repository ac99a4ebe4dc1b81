/** How a command talks: lines for people, or one JSON document for scripts (`--json`). */
export interface Output {
  json: boolean;
  line(text: string): void;
  error(text: string): void;
  result(value: unknown): void;
}

export function createOutput(
  json: boolean,
  stdout: NodeJS.WritableStream = process.stdout,
  stderr: NodeJS.WritableStream = process.stderr,
): Output {
  return {
    json,
    line: (text) => {
      if (!json) stdout.write(`${text}\n`);
    },
    error: (text) => {
      stderr.write(`${text}\n`);
    },
    result: (value) => {
      if (json) stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}
