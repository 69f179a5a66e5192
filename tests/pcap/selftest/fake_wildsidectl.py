#!/usr/bin/python3
"""wildsidectl for the self-test: `-s SOCK [-j] CMD...` talks to fake_wildside.py; anything else
runs the real build/wildsidectl (the offline oracle)."""
import os
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REAL = os.environ.get("FAKE_REAL_WILDSIDECTL",
                      os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(HERE))), "build", "wildsidectl"))
a = sys.argv[1:]
if "-s" not in a:
    os.execv(REAL, [REAL] + a)
sock = a[a.index("-s") + 1]
rest = [w for i, w in enumerate(a) if w != "-j" and i not in (a.index("-s"), a.index("-s") + 1)]
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    c.connect(sock)
except OSError as e:
    sys.exit(f"wildsidectl: {sock}: {e}")
c.sendall(" ".join(rest).encode())
data = b""
while True:
    b = c.recv(65536)
    if not b:
        break
    data += b
status, _, body = data.decode().partition("\n")
if status != "OK":
    print(body, file=sys.stderr)
    sys.exit(2)
print(body)
