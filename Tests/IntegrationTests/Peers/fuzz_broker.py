"""Throws random and mutated frames at a broker from several DEALER sockets.

Mixes pure garbage with mutations of valid MDP/0.2 and CRSC01 messages (truncated, extended, bytes flipped, frames
dropped or duplicated), so both the framing checks and the deeper decoders are exercised. Valid-looking messages use
categories starting with `fz` only, so the fuzzer never becomes a worker of a real category. Prints `sent N`.

usage: fuzz_broker.py ENDPOINT COUNT SEED
"""
import random
import sys

import zmq

endpoint, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
context = zmq.Context()
sockets = []
for _ in range(4):
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 2000)
    socket.setsockopt(zmq.SNDHWM, 100000)
    socket.connect(endpoint)
    sockets.append(socket)


def submitted_tasks():
    """The tasks frame of a SUBMIT: a count, then each task's descriptor and length-prefixed payload."""
    count = rng.randint(1, 3)
    frame = count.to_bytes(4, "big")
    for _ in range(count):
        category = b"fz" + bytes(rng.choice(b"abc") for _ in range(rng.randint(0, 3)))
        task_id = b"id%d" % rng.randint(0, 10**6)
        payload = b"payload" * rng.randint(0, 3)
        frame += (rng.randint(-5, 5).to_bytes(4, "big", signed=True) + rng.randint(0, 5000).to_bytes(4, "big")
                  + rng.randint(0, 4).to_bytes(2, "big") + bytes([len(category)]) + category
                  + len(task_id).to_bytes(2, "big") + task_id + len(payload).to_bytes(4, "big") + payload)
    return frame


def worker_results():
    """The frame of a RESULTS message: version 1, a count, then task key, attempt, outcome and output per entry."""
    count = rng.randint(0, 3)
    frame = bytes([1]) + count.to_bytes(4, "big")
    for _ in range(count):
        output = b"out" * rng.randint(0, 3)
        frame += (rng.randint(1, 50).to_bytes(8, "big") + rng.randint(1, 3).to_bytes(4, "big") + bytes([rng.randint(0, 4)])
                  + len(output).to_bytes(4, "big") + output)
    return frame


def valid():
    service = b"fz" + bytes([rng.choice(b"xyz")])
    envelope = bytes(rng.randrange(256) for _ in range(rng.choice([0, 12, 12, 5])))
    choices = [
        [b"MDPW02", b"\x01", service],
        [b"MDPW02", b"\x01", service, b"corsair/1", b"credit=2\nheartbeat-ms=100\nname=fuzz"],
        [b"MDPW02", b"\x04", envelope, b"", b"result"],
        [b"MDPW02", b"\x03", envelope, b"", b"partial"],
        [b"MDPW02", b"\x05"],
        [b"MDPW02", b"\x06"],
        [b"MDPW02", b"\x01", service, b"corsair/1", b"credit=4\nheartbeat-ms=100\nname=fuzz\nbatch=1"],
        [b"MDPW02", b"\x12", worker_results()],
        [b"MDPC02", b"\x01", service, b"body"],
        [b"MDPC02", b"\x02", b"mmi.service", service],
        [b"CRSC01", b"\x01", b"fuzz-session", submitted_tasks()],
        [b"CRSC01", b"\x02", b"fuzz-session"],
    ]
    frames = list(rng.choice(choices))
    return [b""] + frames if rng.random() < 0.5 else frames


def mutate(frames):
    frames = list(frames)
    for _ in range(rng.randint(1, 3)):
        action = rng.randrange(5)
        if action == 0 and frames:
            del frames[rng.randrange(len(frames))]
        elif action == 1 and frames:
            frames.insert(rng.randrange(len(frames) + 1), frames[rng.randrange(len(frames))])
        elif action == 2 and frames:
            i = rng.randrange(len(frames))
            frame = bytearray(frames[i])
            if frame:
                frame[rng.randrange(len(frame))] = rng.randrange(256)
            frames[i] = bytes(frame)
        elif action == 3 and frames:
            i = rng.randrange(len(frames))
            frames[i] = frames[i][: rng.randint(0, len(frames[i]))]
        else:
            frames.append(bytes(rng.randrange(256) for _ in range(rng.randint(0, 64))))
    return frames


def garbage():
    return [bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 2, 6, 40, 300])))
            for _ in range(rng.randint(1, 8))]


sent = 0
for i in range(count):
    kind = rng.random()
    frames = garbage() if kind < 0.3 else mutate(valid()) if kind < 0.9 else valid()
    if not frames:
        frames = [b""]
    rng.choice(sockets).send_multipart(frames)
    sent += 1
    # Drain whatever the broker answers so its queues to us never fill.
    for socket in sockets:
        while socket.poll(0):
            socket.recv_multipart()
print(f"sent {sent}")
