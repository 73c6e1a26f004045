"""A real SMTP server in the test process that can accept, refuse, hang or drop.

Standard library only (``aiosmtpd`` is not in the lock file yet): it speaks just enough SMTP
for Django's SMTP backend — EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT — over a real
socket, so timeouts, refusals and dropped connections reach ``smtplib`` exactly as they
would from a mail server.

Modes (set ``server.mode`` at any time; the next command reads it):
- ``accept``: take every message and keep its raw bytes in ``server.messages``;
- ``451`` / ``550``: answer RCPT with a temporary / permanent refusal;
- ``554-data``: take the content, then refuse it permanently after DATA;
- ``hang``: greet, then never answer again (the client's timeout must fire);
- ``drop``: accept DATA, read part of the content, then close the connection unanswered;
- ``down``: close each connection before the greeting (a server that is not there).
"""

import socketserver
import threading
import time

import pytest


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30  # never keep a test thread forever

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def hang(self) -> None:
        # Hold the connection open and silent until the server stops.
        while not self.server.stopping.wait(0.05):
            pass

    def handle(self):
        server = self.server
        if server.mode == "down":
            return
        self.reply("220 fake.example.org ESMTP ready")
        if server.mode == "hang":
            self.hang()
            return
        recipients = []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            command = raw.decode("ascii", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-fake.example.org\r\n250 8BITMIME\r\n")
            elif verb == "HELO" or verb == "NOOP" or verb == "RSET":
                self.reply("250 OK")
            elif verb == "MAIL":
                recipients = []
                self.reply("250 OK")
            elif verb == "RCPT":
                if server.mode == "451":
                    self.reply("451 4.3.0 Try again later")
                elif server.mode == "550":
                    self.reply("550 5.1.1 No such user here")
                else:
                    recipients.append(command)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                if server.mode == "drop":
                    self.rfile.readline()  # some of the content, then the line goes dead
                    return
                lines = []
                while True:
                    line = self.rfile.readline()
                    if not line or line in (b".\r\n", b".\n"):
                        break
                    lines.append(line[1:] if line.startswith(b"..") else line)
                if server.mode == "554-data":
                    self.reply("554 5.7.1 Message refused")
                    continue
                with server.lock:
                    server.messages.append(b"".join(lines))
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class FakeSMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode="accept"):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.messages: list[bytes] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> "FakeSMTPServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()
        time.sleep(0.05)  # let handler threads see the stop flag


@pytest.fixture
def smtp(settings):
    """A running server and the default mailer pointed at it with a short timeout."""
    server = FakeSMTPServer().start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 0.5},
        }
    }
    settings.DEFAULT_FROM_EMAIL = "Lab <no-reply@lab.example.org>"
    settings.EMAIL_RETRY_BASE_SECONDS = 60
    settings.EMAIL_RETRY_MAX_SECONDS = 4 * 3600
    settings.EMAIL_GIVE_UP_AFTER_SECONDS = 4 * 24 * 3600
    settings.EMAIL_SEND_LEASE_SECONDS = 600
    yield server
    server.stop()
