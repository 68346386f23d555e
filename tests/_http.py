"""A local HTTP file server for download tests: CI has no network, and the download code paths
are real (urllib against 127.0.0.1), so tests serve the files themselves."""
import http.server
import threading


class FileServer:
    """Serves ``files`` (URL path -> bytes) on 127.0.0.1 at a free port, in a thread.

    Every request path is logged in ``requests``; an unknown path, or any request past
    ``max_requests`` (a guard against retry loops), gets 404. Use as a context manager::

        with FileServer({"/a.bin": b"data"}) as server:
            urllib.request.urlopen(server.url + "/a.bin").read()
    """

    def __init__(self, files, max_requests=50):
        self.files, self.requests = files, []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                owner.requests.append(self.path)
                body = owner.files.get(self.path)
                if body is None or len(owner.requests) > max_requests:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.timeout = 5
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
