/** The code block that follows `<!-- example: <path> -->` in a README: what users copy, byte-checked against the example. */
export function snippetAfterMarker(readme: string, path: string): string | undefined {
  const marker = readme.indexOf(`<!-- example: ${path} -->`);
  if (marker === -1) return undefined;
  return /```(?:js|ts)\n([\s\S]*?)```/.exec(readme.slice(marker))?.[1];
}
