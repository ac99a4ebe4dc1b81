/** Whether a request target (path plus optional query) addresses the relay's route; one trailing slash is tolerated. */
export function matchesPath(target: string, path: string): boolean {
  const query = target.indexOf('?');
  const pathname = query === -1 ? target : target.slice(0, query);
  return pathname === path || pathname === `${path}/`;
}
