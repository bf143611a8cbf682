"""The smtp code source: an SMTP server on 127.0.0.1 (aiosmtpd) whose address the dev
server gets as SMTP_HOST/SMTP_PORT; it keeps what it receives in memory and delivers
nothing."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import re
import threading
from typing import Any

from checks.runtime.addresses import free_port

MAX_MESSAGES = 100



MAX_MESSAGE_BYTES = 1 << 20



class _Handler:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls the hook by this name
        with self.lock:
            if len(self.messages) < MAX_MESSAGES:
                self.messages.append(([r.lower() for r in envelope.rcpt_tos], bytes(envelope.content or b"")))
        return "250 Message accepted for delivery"



class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps what it receives in memory and delivers nothing."""

    def __init__(self) -> None:
        self.handler = _Handler()
        self.port = 0
        self._controller: Any = None
        self.problem = ""  # why it is not running, when it could not start

    def start(self) -> None:
        # start-up: only a sign-in with an SMTP sink loads aiosmtpd
        from aiosmtpd.controller import Controller


        self.port = free_port()
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                      data_size_limit=MAX_MESSAGE_BYTES, ready_timeout=5.0)
        self._controller.start()

    async def stop(self) -> None:
        if self._controller is not None:
            controller, self._controller = self._controller, None
            await asyncio.to_thread(controller.stop)

    def texts_for(self, address: str) -> list[str]:
        with self.handler.lock:
            found = [content for recipients, content in self.handler.messages if address.lower() in recipients]
        return [_message_text(content) for content in found]



def _message_text(content: bytes) -> str:
    message = email.message_from_bytes(content, policy=email.policy.default)
    parts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            with contextlib.suppress(LookupError, ValueError):
                text = part.get_content()
                parts.append(_strip_html(text) if part.get_content_subtype() == "html" else text)
    return "\n".join(parts) or content.decode("utf-8", "replace")



def _strip_html(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)
