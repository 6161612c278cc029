# Schemathesis hooks for scripts/fuzz-api: signs generated webhooks so the fuzz reaches the parser and database.
"""Loaded by `st run` through SCHEMATHESIS_HOOKS=fuzz_hooks (PYTHONPATH=scripts/lib).

Three cases in four that carry all three webhook headers are signed with FUZZ_WEBHOOK_SECRET
(the body is serialised here, and those exact bytes are sent and signed, with a fresh
timestamp and the webhook-id made unique; every other one also gets its event id made
unique, since the generator repeats a few ids and repeats only reach the duplicate path);
the rest, and cases missing a header, go as generated, so the refusals are exercised too.
"""

import base64
import hashlib
import hmac
import itertools
import json
import os
import time
import zlib

import schemathesis
from schemathesis.core import NOT_SET

KEY = base64.b64decode(os.environ["FUZZ_WEBHOOK_SECRET"].removeprefix("whsec_"))
NAMES = ("webhook-id", "webhook-timestamp", "webhook-signature")
SERIAL = itertools.count()


def sign(webhook_id: str, timestamp: str, body: bytes) -> str:
    content = webhook_id.encode("latin-1") + b"." + timestamp.encode() + b"." + body
    mac = hmac.new(KEY, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


@schemathesis.hook
def before_call(ctx, case, kwargs):
    if case.operation.path != "/webhooks/gigs" or case.headers is None:
        return
    values = [case.headers.get(name) for name in NAMES]
    if not all(isinstance(v, str) for v in values):
        return
    # The server sees header values trimmed, and only visible ASCII counts as text.
    webhook_id = values[0].strip(" \t")
    if not webhook_id or not all(0x20 <= ord(c) < 0x7F for c in webhook_id):
        return
    if zlib.crc32(webhook_id.encode()) % 4 == 0:
        return
    if case.media_type not in (None, "application/json"):
        return
    serial = next(SERIAL)
    if isinstance(case.body, dict) and isinstance(case.body.get("id"), str) and serial % 2:
        case.body["id"] += f"-{serial}"
    if case.body is NOT_SET:
        body = b""
    elif isinstance(case.body, bytes):
        body = case.body
    else:
        try:
            body = json.dumps(case.body).encode()
        except (TypeError, ValueError):
            return
        case.body = body
    webhook_id = f"{webhook_id}-{serial}"
    timestamp = str(int(time.time()))
    case.headers["webhook-id"] = webhook_id
    case.headers["webhook-timestamp"] = timestamp
    case.headers["webhook-signature"] = sign(webhook_id, timestamp, body)
