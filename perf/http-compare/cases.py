#!/usr/bin/env python3
"""Sends raw HTTP/1.1 edge cases to several proxies (name=port ...) and prints, per case, each proxy's statuses,
whether it closed the connection (+C) and the request line(s) the echo origin received; then how often Vantage
answers as the anchors do where they agree."""
import socket, sys, json, time, re

targets = dict(a.split('=') for a in sys.argv[1:])  # name=port

H = b"Host: example.com\r\n"
cases = [
 ("get", b"GET / HTTP/1.1\r\n" + H + b"\r\n"),
 ("absolute-form", b"GET http://example.com/a HTTP/1.1\r\nHost: other\r\n\r\n"),
 ("no-host-11", b"GET / HTTP/1.1\r\n\r\n"),
 ("no-host-10", b"GET / HTTP/1.0\r\n\r\n"),
 ("two-hosts", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
 ("host-bad-char", b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
 ("host-empty", b"GET / HTTP/1.1\r\nHost:\r\n\r\n"),
 ("host-port", b"GET / HTTP/1.1\r\nHost: a:80\r\n\r\n"),
 ("host-badport", b"GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n"),
 ("host-ipv6", b"GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"),
 ("cl-te", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
 ("te-chunked-chunked", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
 ("te-gzip-chunked", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
 ("te-xchunked", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
 ("te-identity", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello"),
 ("te-CHUNKED-case", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
 ("te-two-lines", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
 ("te-vtab", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: \x0bchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
 ("te-space-before-colon", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
 ("te-http10", b"POST / HTTP/1.0\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
 ("te-trailing-comma", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked,\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
 ("cl-dup-same", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
 ("cl-list-same", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 5, 5\r\n\r\nhello"),
 ("cl-dup-diff", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
 ("cl-plus", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: +5\r\n\r\nhello"),
 ("cl-neg", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: -1\r\n\r\n"),
 ("cl-hex", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 0x5\r\n\r\nhello"),
 ("cl-huge", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 99999999999999999999999\r\n\r\nhello"),
 ("cl-leading-zero", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 005\r\n\r\nhello"),
 ("cl-space-inside", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 1 2\r\n\r\nhello"),
 ("cl-empty", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: \r\n\r\n"),
 ("chunk-size-ext", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\n\r\n"),
 ("chunk-size-space-ext", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5 ;a=b\r\nhello\r\n0\r\n\r\n"),
 ("chunk-size-0x", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"),
 ("chunk-size-overflow", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff5\r\nhello\r\n0\r\n\r\n"),
 ("chunk-size-leading-space", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n"),
 ("chunk-size-neg", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"),
 ("chunk-missing-crlf", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"),
 ("chunk-bare-lf", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n"),
 ("chunk-trailers", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"),
 ("chunk-zero-leading", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n0005\r\nhello\r\n0\r\n\r\n"),
 ("chunk-ext-bad", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5;\x01\r\nhello\r\n0\r\n\r\n"),
 ("bare-lf-head", b"GET / HTTP/1.1\nHost: example.com\n\n"),
 ("bare-cr", b"GET / HTTP/1.1\rHost: example.com\r\n\r\n"),
 ("obs-fold", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\r\n b\r\n\r\n"),
 ("hdr-name-space", b"GET / HTTP/1.1\r\n" + H + b"X A: a\r\n\r\n"),
 ("hdr-name-empty", b"GET / HTTP/1.1\r\n" + H + b": a\r\n\r\n"),
 ("hdr-name-bad-char", b"GET / HTTP/1.1\r\n" + H + b"X(A): a\r\n\r\n"),
 ("hdr-no-colon", b"GET / HTTP/1.1\r\n" + H + b"XA\r\n\r\n"),
 ("hdr-nul", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\x00b\r\n\r\n"),
 ("hdr-cr", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\rb\r\n\r\n"),
 ("hdr-obs-text", b"GET / HTTP/1.1\r\n" + H + b"X-A: caf\xe9\r\n\r\n"),
 ("hdr-del", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\x7fb\r\n\r\n"),
 ("hdr-tab-value", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\tb\r\n\r\n"),
 ("hdr-trailing-ws", b"GET / HTTP/1.1\r\n" + H + b"X-A: a  \t\r\n\r\n"),
 ("hdr-many-100", b"GET / HTTP/1.1\r\n" + H + b"".join(b"X-%d: v\r\n" % i for i in range(100)) + b"\r\n"),
 ("hdr-many-200", b"GET / HTTP/1.1\r\n" + H + b"".join(b"X-%d: v\r\n" % i for i in range(200)) + b"\r\n"),
 ("hdr-huge-value", b"GET / HTTP/1.1\r\n" + H + b"X-A: " + b"a" * 70000 + b"\r\n\r\n"),
 ("hdr-16k", b"GET / HTTP/1.1\r\n" + H + b"X-A: " + b"a" * 15000 + b"\r\n\r\n"),
 ("uri-8k", b"GET /" + b"a" * 8000 + b" HTTP/1.1\r\n" + H + b"\r\n"),
 ("uri-70k", b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n" + H + b"\r\n"),
 ("uri-fragment", b"GET /a#b HTTP/1.1\r\n" + H + b"\r\n"),
 ("uri-nonascii", b"GET /caf\xe9 HTTP/1.1\r\n" + H + b"\r\n"),
 ("uri-space", b"GET /a b HTTP/1.1\r\n" + H + b"\r\n"),
 ("uri-pct", b"GET /%00%2e%2e/ HTTP/1.1\r\n" + H + b"\r\n"),
 ("uri-dotdot", b"GET /../etc/passwd HTTP/1.1\r\n" + H + b"\r\n"),
 ("uri-star-options", b"OPTIONS * HTTP/1.1\r\n" + H + b"\r\n"),
 ("uri-star-get", b"GET * HTTP/1.1\r\n" + H + b"\r\n"),
 ("uri-no-slash", b"GET a HTTP/1.1\r\n" + H + b"\r\n"),
 ("uri-authority-get", b"GET example.com:80 HTTP/1.1\r\n" + H + b"\r\n"),
 ("uri-query", b"GET /?a=b&c=%20 HTTP/1.1\r\n" + H + b"\r\n"),
 ("method-lower", b"get / HTTP/1.1\r\n" + H + b"\r\n"),
 ("method-unknown", b"FOO / HTTP/1.1\r\n" + H + b"\r\n"),
 ("method-bad-char", b"G(T / HTTP/1.1\r\n" + H + b"\r\n"),
 ("method-long", b"A" * 100 + b" / HTTP/1.1\r\n" + H + b"\r\n"),
 ("connect", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
 ("trace", b"TRACE / HTTP/1.1\r\n" + H + b"\r\n"),
 ("version-12", b"GET / HTTP/1.2\r\n" + H + b"\r\n"),
 ("version-20", b"GET / HTTP/2.0\r\n" + H + b"\r\n"),
 ("version-09", b"GET /\r\n\r\n"),
 ("version-lower", b"GET / http/1.1\r\n" + H + b"\r\n"),
 ("version-11x", b"GET / HTTP/1.11\r\n" + H + b"\r\n"),
 ("version-30", b"GET / HTTP/3.0\r\n" + H + b"\r\n"),
 ("double-space-line", b"GET  / HTTP/1.1\r\n" + H + b"\r\n"),
 ("trailing-space-line", b"GET / HTTP/1.1 \r\n" + H + b"\r\n"),
 ("tab-sep-line", b"GET\t/\tHTTP/1.1\r\n" + H + b"\r\n"),
 ("leading-crlf", b"\r\nGET / HTTP/1.1\r\n" + H + b"\r\n"),
 ("leading-crlf-many", b"\r\n\r\n\r\nGET / HTTP/1.1\r\n" + H + b"\r\n"),
 ("expect-100", b"POST / HTTP/1.1\r\n" + H + b"Expect: 100-continue\r\nContent-Length: 5\r\n\r\nhello"),
 ("expect-bad", b"POST / HTTP/1.1\r\n" + H + b"Expect: foo\r\nContent-Length: 5\r\n\r\nhello"),
 ("expect-100-http10", b"POST / HTTP/1.0\r\n" + H + b"Expect: 100-continue\r\nContent-Length: 5\r\n\r\nhello"),
 ("pipeline-3", (b"GET /1 HTTP/1.1\r\n" + H + b"\r\n") + (b"GET /2 HTTP/1.1\r\n" + H + b"\r\n") + (b"GET /3 HTTP/1.1\r\n" + H + b"\r\n")),
 ("pipeline-post-get", b"POST /1 HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n\r\nhelloGET /2 HTTP/1.1\r\n" + H + b"\r\n"),
 ("smuggle-clte", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 13\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nSMUGGLED"),
 ("smuggle-tecl", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n"),
 ("conn-close", b"GET / HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n"),
 ("http10-keepalive", b"GET / HTTP/1.0\r\n" + H + b"Connection: keep-alive\r\n\r\n"),
 ("conn-hop-custom", b"GET / HTTP/1.1\r\n" + H + b"Connection: X-Secret\r\nX-Secret: 1\r\n\r\n"),
 ("conn-hop-te", b"GET / HTTP/1.1\r\n" + H + b"TE: trailers\r\nConnection: TE\r\n\r\n"),
 ("proxy-connection", b"GET / HTTP/1.1\r\n" + H + b"Proxy-Connection: keep-alive\r\n\r\n"),
 ("conn-close-cl", b"GET / HTTP/1.1\r\n" + H + b"Connection: Content-Length\r\nContent-Length: 0\r\n\r\n"),
 ("upgrade-h2c", b"GET / HTTP/1.1\r\n" + H + b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"),
 ("h2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
 ("get-with-body", b"GET / HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n\r\nhello"),
 ("post-no-cl", b"POST / HTTP/1.1\r\n" + H + b"\r\n"),
 ("head", b"HEAD / HTTP/1.1\r\n" + H + b"\r\n"),
 ("max-forwards", b"OPTIONS / HTTP/1.1\r\n" + H + b"Max-Forwards: 0\r\n\r\n"),
 ("xff-spoof", b"GET / HTTP/1.1\r\n" + H + b"X-Forwarded-For: 1.2.3.4\r\n\r\n"),
 ("cl-short-body", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 10\r\n\r\nhello"),
 ("garbage", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"),
 ("empty-line-only", b"\r\n\r\n\r\n\r\n"),
 ("hdr-soh", b"GET / HTTP/1.1\r\n"+H+b"X-A: a\x01b\r\n\r\n"),
 ("hdr-esc", b"GET / HTTP/1.1\r\n"+H+b"X-A: a\x1bb\r\n\r\n"),
 ("uri-del", b"GET /a\x7fb HTTP/1.1\r\n"+H+b"\r\n"),
 ("uri-ctl", b"GET /a\x01b HTTP/1.1\r\n"+H+b"\r\n"),
 ("uri-quote", b'GET /a"b<> HTTP/1.1\r\n'+H+b"\r\n"),
 ("mixed-lf", b"GET / HTTP/1.1\r\n"+H+b"X-A: 1\nX-B: 2\r\n\n"),
 ("lf-reqline-only", b"GET / HTTP/1.1\n"+H+b"\r\n"),
 ("hdr-name-tab", b"GET / HTTP/1.1\r\n"+H+b"X-A\t: v\r\n\r\n"),
 ("host-userinfo", b"GET / HTTP/1.1\r\nHost: u@example.com\r\n\r\n"),
 ("host-slash", b"GET / HTTP/1.1\r\nHost: example.com/a\r\n\r\n"),
 ("abs-https", b"GET https://example.com/a HTTP/1.1\r\nHost: example.com\r\n\r\n"),
 ("abs-userinfo", b"GET http://u:p@example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n"),
 ("te-param", b"POST / HTTP/1.1\r\n"+H+b"Transfer-Encoding: chunked;q=1\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
 ("te-empty", b"POST / HTTP/1.1\r\n"+H+b"Transfer-Encoding: \r\n\r\n"),
 ("chunk-trailer-bad", b"POST / HTTP/1.1\r\n"+H+b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nBad Name: 1\r\n\r\n"),
 ("chunk-size-lf-only", b"POST / HTTP/1.1\r\n"+H+b"Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"),
 ("chunk-ext-lf-in", b'POST / HTTP/1.1\r\n'+H+b'Transfer-Encoding: chunked\r\n\r\n5;a\nb\r\nhello\r\n0\r\n\r\n'),
 ("chunk-size-trailing-ws", b"POST / HTTP/1.1\r\n"+H+b"Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n"),
 ("method-space-lead", b" GET / HTTP/1.1\r\n"+H+b"\r\n"),
 ("http10-te-cl", b"POST / HTTP/1.0\r\n"+H+b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello"),
 ("partial-space", b"    "),
]


def run(port, data, timeout=1.5, idle=0.3):
    """Sends data; reads until the peer closes, nothing arrives for `timeout` s, or `idle` s pass after data."""
    s = socket.create_connection(("127.0.0.1", port)); s.settimeout(timeout)
    s.sendall(data)
    got = b""; closed = False
    t0 = time.time()
    try:
        while time.time() - t0 < timeout:
            d = s.recv(65536)
            if not d: closed = True; break
            got += d
            s.settimeout(idle)
    except socket.timeout: pass
    except ConnectionResetError: closed = True
    s.close()
    statuses = re.findall(rb"HTTP/1\.[01] (\d\d\d)", got)
    origin = [json.loads(m) for m in re.findall(rb'(\{"req".*?\})(?=HTTP/|$)', got, re.S)] if b'{"req"' in got else []
    return [x.decode() for x in statuses], closed, origin, got

agreed = same = 0
differs = []
for name, data in cases:
    row = {}
    for t, p in targets.items():
        st, closed, origin, raw = run(int(p), data)
        reqs = ";".join(o["req"] + ("|body=" + o["body"] if o["body"] else "") for o in origin)
        row[t] = ("/".join(st) or "-") + ("+C" if closed else "") + ("  {" + reqs + "}" if reqs else "")
    vals = list(row.values())
    codes = {t: v.split("  ")[0] for t, v in row.items()}
    mark = "  " if len(set(codes.values())) == 1 else "!!"
    print(f"{mark} {name:26s} " + " | ".join(f"{t}: {v}" for t, v in row.items()))
    anchors = [codes[t] for t in targets if t != "vantage"]
    if len(set(anchors)) == 1 and "vantage" in codes:
        agreed += 1
        if codes["vantage"] == anchors[0]:
            same += 1
        else:
            differs.append(name)
print(f"# {len(cases)} cases; the anchors agree on {agreed}; Vantage answers as they do on {same}"
      + (f"; differs on: {', '.join(differs)}" if differs else ""))
print(f"RESULT name=http.agreement target=vantage value={same} unit=cases baseline={agreed} ratio={same / max(agreed, 1):.3f}")
