"""Webhook receiver for bench/latency: logs "<unix ms of arrival> <path> <body>" per POST, one line each."""
import http.server
import sys
import time


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        arrived = int(time.time() * 1000)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.end_headers()
        with open(sys.argv[2], "ab") as f:
            f.write(b"%d %s " % (arrived, self.path.encode()) + body.replace(b"\n", b" ") + b"\n")

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Hook).serve_forever()
