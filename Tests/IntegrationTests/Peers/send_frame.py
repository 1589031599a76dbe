"""Sends one MDP/0.2 client request whose body frame is SIZE bytes, and waits for the broker to close the connection.

A broker started with `--max-message-size` refuses frames over twice that size inside libzmq, which disconnects the
sender. Prints `disconnected` and exits 0 when that happens within 10 s; exits 1 otherwise.

usage: send_frame.py ENDPOINT SIZE
"""
import sys

import zmq
from zmq.utils.monitor import recv_monitor_message

endpoint, size = sys.argv[1], int(sys.argv[2])
context = zmq.Context()
socket = context.socket(zmq.DEALER)
socket.setsockopt(zmq.LINGER, 0)
monitor = socket.get_monitor_socket(zmq.EVENT_CONNECTED | zmq.EVENT_DISCONNECTED)
socket.connect(endpoint)

poller = zmq.Poller()
poller.register(monitor, zmq.POLLIN)
connected = False
while True:
    if not poller.poll(10_000):
        sys.exit("the broker kept the connection open" if connected else "never connected")
    event = recv_monitor_message(monitor)["event"]
    if event == zmq.EVENT_CONNECTED and not connected:
        connected = True
        socket.send_multipart([b"MDPC02", b"\x01", b"a", b"x" * size])
    elif event == zmq.EVENT_DISCONNECTED and connected:
        print("disconnected")
        break
socket.disable_monitor()
monitor.close()
socket.close()
context.term()
