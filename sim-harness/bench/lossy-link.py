#!/usr/bin/python3
# A lossy Ethernet link in user space, for kernels without the netem qdisc:
# bridges two interfaces (raw AF_PACKET sockets, both in promiscuous mode)
# frame by frame, dropping each frame with the current loss probability, in
# both directions. Run as root inside the namespace that holds both ends:
#   lossy-link.py <if-a> <if-b>
# stdin takes `loss <percent>` lines; each is acknowledged with `ok <percent>`
# on stdout. Prints `ready` once both sockets are bound. Exits on stdin EOF.
import os
import random
import select
import socket
import sys

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def open_raw(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    s.setblocking(False)
    return s


def main():
    if_a, if_b = sys.argv[1], sys.argv[2]
    a, b = open_raw(if_a), open_raw(if_b)
    peer = {a: b, b: a}
    loss = 0.0
    stats = {"passed": 0, "dropped": 0}
    stdin = sys.stdin.fileno()
    os.set_blocking(stdin, False)
    buf = b""
    print("ready", flush=True)
    while True:
        ready, _, _ = select.select([a, b, stdin], [], [])
        for s in ready:
            if s == stdin:
                chunk = os.read(stdin, 4096)
                if not chunk:
                    print("bye passed=%d dropped=%d" % (stats["passed"], stats["dropped"]), flush=True)
                    return
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    parts = line.decode().split()
                    if len(parts) == 2 and parts[0] == "loss":
                        loss = max(0.0, min(100.0, float(parts[1]))) / 100.0
                        print("ok %g passed=%d dropped=%d" % (loss * 100, stats["passed"], stats["dropped"]), flush=True)
                continue
            while True:
                try:
                    frame, addr = s.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue  # our own transmission, seen by the tap
                if loss > 0 and random.random() < loss:
                    stats["dropped"] += 1
                    continue
                stats["passed"] += 1
                try:
                    peer[s].send(frame)
                except OSError:
                    pass


if __name__ == "__main__":
    main()
