"""Sends requests through an MDP/0.2 broker with majortomo's client (a peer no one here wrote) and prints each reply.

usage: majortomo_client.py ENDPOINT SERVICE MESSAGE [MESSAGE ...]
"""
import sys

from majortomo import Client

endpoint, service, messages = sys.argv[1], sys.argv[2].encode(), sys.argv[3:]
with Client(endpoint) as client:
    for message in messages:
        client.send(service, message.encode())
        reply = client.recv_all_as_list(timeout=10)
        print(b"|".join(reply).decode())
