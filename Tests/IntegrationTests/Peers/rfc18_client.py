"""A strict RFC 18 MDP/0.2 client with many requests in flight on one DEALER socket.

No empty delimiter frame: frame 0 is the protocol header, as RFC 18 specifies. Sends N requests to a service, then
collects N FINAL replies (in any order) and checks that each body is one of the payloads sent. Prints `ok N` on
success; exits 1 with a reason otherwise.

usage: rfc18_client.py ENDPOINT SERVICE COUNT
"""
import sys

import zmq

endpoint, service, count = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
context = zmq.Context()
socket = context.socket(zmq.DEALER)
socket.setsockopt(zmq.LINGER, 0)
socket.connect(endpoint)

sent = {f"request-{i}".encode() for i in range(count)}
for payload in sorted(sent):
    socket.send_multipart([b"MDPC02", b"\x01", service, payload])

received = set()
poller = zmq.Poller()
poller.register(socket, zmq.POLLIN)
while len(received) < count:
    if not poller.poll(10_000):
        sys.exit(f"timed out with {count - len(received)} replies missing")
    frames = socket.recv_multipart()
    if frames[:3] == [b"MDPC02", b"\x02", service]:
        continue
    if len(frames) != 4 or frames[:3] != [b"MDPC02", b"\x03", service]:
        sys.exit(f"unexpected reply frames: {frames!r}")
    if frames[3] not in sent or frames[3] in received:
        sys.exit(f"unexpected or repeated body: {frames[3]!r}")
    received.add(frames[3])
print(f"ok {len(received)}")
