"""An MDP/0.1 (ZeroMQ RFC 7) client, written here after the Guide's mdcliapi: one request at a time, retried.

Sends each MESSAGE as a REQUEST to SERVICE and prints each reply body (frames joined with `|`), one per line. By
default it uses a REQ socket, which adds the empty frame 0 itself, as mdcliapi does; with --dealer it uses a DEALER
and writes frame 0 explicitly, as the Guide's asynchronous mdcliapi2 does. A request unanswered within --timeout is
sent again on a new socket (the Lazy Pirate way), up to --retries times; then the client exits 1 with the reason.

usage: mdp01_client.py [--dealer] [--timeout SECONDS] [--retries N] ENDPOINT SERVICE MESSAGE [MESSAGE ...]
"""
import argparse
import sys

import zmq

HEADER = b"MDPC01"


class MajordomoClient:
    """A synchronous MDP/0.1 client connected to one broker."""

    def __init__(self, endpoint, dealer, timeout, retries):
        self.endpoint = endpoint
        self.dealer = dealer
        self.timeout_ms = int(timeout * 1000)
        self.retries = retries
        self.context = zmq.Context()
        self.socket = None
        self.poller = zmq.Poller()
        self.reconnect()

    def reconnect(self):
        """Opens a fresh socket: a REQ that lost its reply cannot send again on the old one."""
        if self.socket is not None:
            self.poller.unregister(self.socket)
            self.socket.close(linger=0)
        self.socket = self.context.socket(zmq.DEALER if self.dealer else zmq.REQ)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(self.endpoint)
        self.poller.register(self.socket, zmq.POLLIN)

    def request(self, service, body):
        """Sends one REQUEST and returns the REPLY's body frames; raises RuntimeError when no reply comes."""
        frames = [HEADER, service] + body
        if self.dealer:
            frames = [b""] + frames
        for attempt in range(1 + self.retries):
            self.socket.send_multipart(frames)
            if self.poller.poll(self.timeout_ms):
                return self.parse(self.socket.recv_multipart(), service)
            print(f"no reply within {self.timeout_ms} ms (attempt {attempt + 1}), reconnecting", file=sys.stderr)
            self.reconnect()
        raise RuntimeError(f"no reply from {self.endpoint} after {1 + self.retries} attempts")

    def parse(self, frames, service):
        """Checks a REPLY's header and service and returns its body."""
        if self.dealer:
            if not frames or frames[0] != b"":
                raise RuntimeError(f"expected an empty frame 0, got {frames!r}")
            frames = frames[1:]
        if len(frames) < 2 or frames[0] != HEADER:
            raise RuntimeError(f"expected an MDPC01 REPLY, got {frames!r}")
        if frames[1] != service:
            raise RuntimeError(f"reply for service {frames[1]!r}, expected {service!r}")
        return frames[2:]

    def close(self):
        self.socket.close(linger=0)
        self.context.term()


def main():
    parser = argparse.ArgumentParser(description="MDP/0.1 client")
    parser.add_argument("--dealer", action="store_true")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--retries", type=int, default=2)
    parser.add_argument("endpoint")
    parser.add_argument("service")
    parser.add_argument("messages", nargs="+")
    options = parser.parse_args()
    client = MajordomoClient(options.endpoint, options.dealer, options.timeout, options.retries)
    try:
        for message in options.messages:
            reply = client.request(options.service.encode(), [message.encode()])
            print(b"|".join(reply).decode())
    except RuntimeError as error:
        sys.exit(str(error))
    finally:
        client.close()


if __name__ == "__main__":
    main()
