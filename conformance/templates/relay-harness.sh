#!/usr/bin/env sh
# Starts __NAME__ for the Relay Contract conformance suite:
#   npx @postern/conformance --cmd ./relay-harness.sh --name __NAME__
# The runner calls this script once per profile (conformance/profiles/*.json) with:
#   PORT                  listen on 127.0.0.1:$PORT
#   POSTERN_PROFILE       the relay options as JSON: projectToken, endpoint, path, allowedOrigins, trustProxy,
#                         rateLimitPerMinute or rateLimit {limit, windowMs}, maxBodyBytes, upstreamTimeoutMs,
#                         service, environment, sdkName. Map each to your relay's own setting.
#   POSTERN_PROFILE_NAME  the profile's name
#   POSTERN_UPSTREAM_URL  where accepted events go (the runner's recording upstream; same as endpoint)
#   POSTERN_RELAY_PATH    the route to serve (same as path)
# It stops the relay with SIGTERM when the profile's cases are done. Keep the `exec`, so the signal reaches it.
exec __COMMAND__
