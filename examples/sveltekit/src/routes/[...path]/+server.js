// What the app answers where it has no route: a plain 404 (it has no pages, so no error page to render).
export const fallback = () => new Response('not found', { status: 404 });

// SvelteKit redirects /x/ to /x before any hook runs when a route matches it, and this one matches every
// path: a POST to a managed tunnel path with a trailing slash (Sentry's `tunnel: { trailingSlash: true }`)
// must reach the tunnel's hook instead.
export const trailingSlash = 'ignore';
