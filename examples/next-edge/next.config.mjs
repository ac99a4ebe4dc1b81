/** @type {import('next').NextConfig} */
export default {
  poweredByHeader: false,
  // Sentry's `tunnel: { trailingSlash: true }` posts to /<hash>/; without this Next.js answers it with a redirect.
  skipTrailingSlashRedirect: true,
};
