"""An MDP/0.1 (ZeroMQ RFC 7) worker, written here after the Guide's mdwrkapi: one request at a time, heartbeated.

Registers for SERVICE with READY, answers each REQUEST with a REPLY carrying the client address back, sends a
HEARTBEAT every --heartbeat seconds while idle, and starts over on a new socket when the broker says DISCONNECT or
stays silent for --liveness intervals. The reply body is the request body, each frame prefixed with `TAG:` when --tag
is given, after sleeping --sleep seconds. Each request is logged to standard output as `request BODY` before the
work starts, so that a test can see the worker busy.

usage: mdp01_worker.py [--tag TAG] [--sleep SECONDS] [--heartbeat SECONDS] [--liveness N] ENDPOINT SERVICE
"""
import argparse
import sys
import time

import zmq

HEADER = b"MDPW01"
READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT = b"\x01", b"\x02", b"\x03", b"\x04", b"\x05"


class MajordomoWorker:
    """An MDP/0.1 worker connection to one broker, serving one service."""

    def __init__(self, endpoint, service, heartbeat, liveness):
        self.endpoint = endpoint
        self.service = service
        self.heartbeat = heartbeat
        self.liveness = liveness
        self.context = zmq.Context()
        self.socket = None
        self.poller = zmq.Poller()
        self.connect()

    def send(self, command, *frames):
        """Sends one worker command: empty frame, header, command, then `frames`."""
        self.socket.send_multipart([b"", HEADER, command, *frames])

    def connect(self):
        """Opens a new DEALER, registers with READY and resets the broker's liveness."""
        if self.socket is not None:
            self.poller.unregister(self.socket)
            self.socket.close(linger=0)
        self.socket = self.context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(self.endpoint)
        self.poller.register(self.socket, zmq.POLLIN)
        self.send(READY, self.service)
        self.remaining = self.liveness
        self.next_heartbeat = time.monotonic() + self.heartbeat

    def receive(self):
        """Waits for the next REQUEST and returns (client address, body frames), heartbeating meanwhile."""
        while True:
            if self.poller.poll(int(self.heartbeat * 1000)):
                frames = self.socket.recv_multipart()
                self.remaining = self.liveness
                if len(frames) < 3 or frames[0] != b"" or frames[1] != HEADER:
                    print(f"ignoring a message that is not MDPW01: {frames!r}", file=sys.stderr)
                    continue
                command = frames[2]
                if command == REQUEST:
                    if len(frames) < 5 or frames[4] != b"":
                        print(f"ignoring a REQUEST without address and empty frame: {frames!r}", file=sys.stderr)
                        continue
                    return frames[3], frames[5:]
                if command == DISCONNECT:
                    print("broker sent DISCONNECT, reconnecting", file=sys.stderr)
                    self.connect()
                elif command != HEARTBEAT:
                    print(f"ignoring unknown command {command!r}", file=sys.stderr)
            else:
                self.remaining -= 1
                if self.remaining == 0:
                    print("broker silent, reconnecting", file=sys.stderr)
                    self.connect()
            if time.monotonic() >= self.next_heartbeat:
                self.send(HEARTBEAT)
                self.next_heartbeat = time.monotonic() + self.heartbeat

    def reply(self, address, body):
        """Answers the request from `address`."""
        self.send(REPLY, address, b"", *body)
        self.next_heartbeat = time.monotonic() + self.heartbeat


def main():
    parser = argparse.ArgumentParser(description="MDP/0.1 worker")
    parser.add_argument("--tag", default="")
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--heartbeat", type=float, default=2.5)
    parser.add_argument("--liveness", type=int, default=3)
    parser.add_argument("endpoint")
    parser.add_argument("service")
    options = parser.parse_args()
    worker = MajordomoWorker(options.endpoint, options.service.encode(), options.heartbeat, options.liveness)
    prefix = options.tag.encode() + b":" if options.tag else b""
    while True:
        address, body = worker.receive()
        print("request " + b"|".join(body).decode(errors="replace"), flush=True)
        if options.sleep:
            time.sleep(options.sleep)
        worker.reply(address, [prefix + frame for frame in body])


if __name__ == "__main__":
    main()
