"""Length-prefixed messages with file descriptors attached: the zygote's control channel."""

import socket
import struct

FRAME = "!I"


def write_frame(sock, data, fds=()):
    """Send a length-prefixed message on a stream socket, with file descriptors attached."""
    frame = struct.pack(FRAME, len(data)) + data
    if fds:
        socket.send_fds(sock, [frame], list(fds))
    else:
        sock.sendall(frame)


def read_frame(sock):
    """(data, fds) of one message written by write_frame; EOFError when the peer has gone."""
    head, fds, _, _ = socket.recv_fds(sock, 4, 8)
    while 0 < len(head) < 4:
        more = sock.recv(4 - len(head))
        if not more:
            break
        head += more
    if len(head) < 4:
        raise EOFError("control socket closed")
    (n,) = struct.unpack(FRAME, head)
    data = b""
    while len(data) < n:
        more = sock.recv(n - len(data))
        if not more:
            raise EOFError("control socket closed")
        data += more
    return data, fds
