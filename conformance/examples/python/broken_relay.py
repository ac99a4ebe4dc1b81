#!/usr/bin/env python3
"""The reference relay with two deliberate bugs, to show what failing the suite looks like:
it lets every origin through (breaks R-ORIGIN-3) and believes X-Forwarded-For from any peer (breaks R-CLIENT-1)."""
from relay import Relay, client_address, serve


class BrokenRelay(Relay):
    def check_origin(self, headers, peer_trusted):
        """Bug: no origin is ever refused."""

    def client(self, socket_address, headers):
        """Bug: the client is whoever X-Forwarded-For says it is."""
        return client_address(socket_address, headers.get("x-forwarded-for"), lambda address, hop: True)


if __name__ == "__main__":
    serve(BrokenRelay)
