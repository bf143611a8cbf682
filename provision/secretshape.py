"""A generated secret the app's env schema accepts: typebot.io's packages/env/src/index.ts
declares `ENCRYPTION_SECRET: z.string().length(32)`, so the 43-character default makes the app
refuse to boot. A length, a minimum and a maximum are met; a format (`.url()`, `.email()`…) no
random token meets, and the key is left for the user with the reason."""

from __future__ import annotations

import secrets

from checks.project.model import ValueShape

# 32 random bytes → 43 URL-safe characters: above every minimum we know of (Neon Auth's cookie
# secret needs 32 characters).
DEFAULT_LENGTH = 43


def secret_length(shape: ValueShape | None) -> int | None:
    """How many characters to generate; None when no length meets the schema."""
    if shape is None:
        return DEFAULT_LENGTH
    low, high = shape.min or 0, shape.max
    if shape.length is not None:
        fits = shape.length >= max(low, 1) and (high is None or shape.length <= high)
        return shape.length if fits else None
    length = max(DEFAULT_LENGTH, low)
    if high is not None:
        length = min(length, high)
    return length if length >= max(low, 1) else None


def unfit(shape: ValueShape | None) -> str | None:
    """Why no random value satisfies the app's schema; None when one does."""
    if shape is None:
        return None
    if shape.format is not None:
        return f"{shape.file} wants a {shape.format} there (`.{shape.format}()`), not a random secret"
    if secret_length(shape) is None:
        asked = ", ".join(f"{name} {value}" for name, value in
                          (("length", shape.length), ("min", shape.min), ("max", shape.max)) if value is not None)
        return f"{shape.file} asks for {asked}, which no value meets"
    return None


def generated_value(shape: ValueShape | None = None) -> str:
    """A random URL-safe secret of the length the schema asks (the default where it asks none).
    Call only where `unfit` found nothing."""
    length = secret_length(shape) or DEFAULT_LENGTH
    return secrets.token_urlsafe(length)[:length]  # token_urlsafe(n) gives at least n characters
