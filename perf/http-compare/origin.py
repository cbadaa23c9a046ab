#!/usr/bin/env python3
"""Echo origin: answers each request with a summary of what it received (for differential proxy tests)."""
import socket, sys, threading, json

def read_until(sock, buf, marker):
    while marker not in buf:
        d = sock.recv(65536)
        if not d: return buf, False
        buf += d
    return buf, True

def handle(c):
    buf = b""
    try:
        while True:
            buf, ok = read_until(c, buf, b"\r\n\r\n")
            if not ok: return
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            reqline = lines[0].decode('latin1')
            hdrs = [l.decode('latin1') for l in lines[1:]]
            hl = {}
            for h in hdrs:
                k, _, v = h.partition(':'); hl.setdefault(k.strip().lower(), []).append(v.strip())
            body = b""
            if 'chunked' in ','.join(hl.get('transfer-encoding', [])).lower():
                while True:
                    buf, ok = read_until(c, buf, b"\r\n")
                    if not ok: return
                    line, buf = buf.split(b"\r\n", 1)
                    n = int(line.split(b";")[0], 16)
                    if n == 0:
                        buf, ok = read_until(c, buf, b"\r\n\r\n") if not buf.startswith(b"\r\n") else (buf, True)
                        if buf.startswith(b"\r\n"): buf = buf[2:]
                        else: buf = buf.split(b"\r\n\r\n", 1)[1]
                        break
                    while len(buf) < n + 2:
                        d = c.recv(65536)
                        if not d: return
                        buf += d
                    body += buf[:n]; buf = buf[n+2:]
            elif 'content-length' in hl:
                n = int(hl['content-length'][0])
                while len(buf) < n:
                    d = c.recv(65536)
                    if not d: return
                    buf += d
                body, buf = buf[:n], buf[n:]
            summary = json.dumps({"req": reqline, "hdrs": hdrs, "body": body.decode('latin1')}).encode()
            method = reqline.split(' ')[0]
            resp = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(summary)
            c.sendall(resp + (b"" if method == "HEAD" else summary))
    except Exception as e:
        pass
    finally:
        c.close()

s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(128)
while True:
    c, _ = s.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
