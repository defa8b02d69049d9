"""`python -m bench.smtp --port P --out FILE`: a local SMTP server that records what it receives.

aiosmtpd on 127.0.0.1; each accepted message appends one JSON line (recipients, subject,
Message-ID) to FILE, flushed before the server answers 250, so a message the sender was told
was accepted is always counted. Runs until SIGTERM or --seconds. `--delay S` answers each
message S seconds late (a slow server: a delivery batch then takes long enough to be killed
in the middle).
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import signal
import threading
import time

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, path: str, delay: float = 0.0):
        self.path = path
        self.delay = delay
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
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
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    controller = Controller(Recorder(args.out, args.delay), hostname="127.0.0.1", port=args.port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"smtp recording on 127.0.0.1:{args.port} to {args.out}", flush=True)
    stop.wait(timeout=min(args.seconds, 24 * 3600))
    controller.stop()


if __name__ == "__main__":
    main()
