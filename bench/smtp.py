"""`python -m bench.smtp --port P --out FILE`: a local SMTP server that records what it receives.

aiosmtpd on 127.0.0.1; each accepted message appends one JSON line (recipients, subject,
Message-ID) to FILE, flushed before the server answers 250, so a message the sender was told
was accepted is always counted. Runs until SIGTERM or --seconds.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import signal
import threading
import time

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, path: str):
        self.path = path
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        line = {
            "to": sorted(envelope.rcpt_tos),
            "subject": str(message.get("Subject", "")),
            "message_id": str(message.get("Message-ID", "")),
            "at": time.time(),
        }
        with self.lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            handle.flush()
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seconds", type=float, default=3600)
    args = parser.parse_args()
    controller = Controller(Recorder(args.out), hostname="127.0.0.1", port=args.port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"smtp recording on 127.0.0.1:{args.port} to {args.out}", flush=True)
    stop.wait(timeout=min(args.seconds, 24 * 3600))
    controller.stop()


if __name__ == "__main__":
    main()
