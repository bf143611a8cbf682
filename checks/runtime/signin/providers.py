"""What identifies each auth provider's keys, shared by AUTH001/002 (the auth family) and
the sign-in: Clerk's publishable key and the Frontend API host inside it, Supabase's
public keys."""

from __future__ import annotations

import base64
import binascii
import re

SUPABASE_ANON_KEYS = ("NEXT_PUBLIC_SUPABASE_ANON_KEY", "NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY",
                      "SUPABASE_ANON_KEY", "NEXT_PUBLIC_SUPABASE_PUBLISHABLE_DEFAULT_KEY")



CLERK_KEYS = ("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "CLERK_PUBLISHABLE_KEY")



def clerk_frontend_api(publishable_key: str) -> str:
    """pk_test_/pk_live_ + base64("<frontend api host>$") (Clerk's publishable key format,
    https://clerk.com/docs/deployments/clerk-environment-variables)."""
    prefix = next((p for p in ("pk_test_", "pk_live_") if publishable_key.startswith(p)), None)
    if prefix is None:
        raise ValueError("does not start with pk_test_ or pk_live_")
    encoded = publishable_key[len(prefix):]
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("does not decode (base64)") from None
    # A host and an optional port, nothing else: `192.0.2.2:1?.localhost:1` must not pass for
    # a loopback one (the scheme is chosen from the host).
    if not decoded.endswith("$") or not re.fullmatch(r"[A-Za-z0-9.-]+(:\d{1,5})?", decoded[:-1]):
        raise ValueError("does not decode to a Frontend API host")
    return decoded[:-1]
