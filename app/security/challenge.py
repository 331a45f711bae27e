"""A human check drawn on the server: a small sum shown as a distorted inline SVG.

It replaces reCAPTCHA, which needs Google (unreachable offline and in China). The figures are
drawn as jittered strokes, not as SVG text, so the answer is not in the page as characters.
The expected answer is kept only as an HMAC in the (signed) session together with its expiry;
a challenge is good for one attempt: checking it removes it from the session, and its id is
claimed in Redis so that a replayed copy of an old session cookie cannot use it again.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets

from flask import current_app, session
from markupsafe import Markup

from app.core import clock

SESSION_KEY = "zwt_challenge"
LIFETIME = dt.timedelta(minutes=10)

_rng = secrets.SystemRandom()

# Stroke glyphs on a 4 × 6 grid (y downwards): lists of polylines.
GLYPHS: dict[str, list[list[tuple[float, float]]]] = {
    "0": [[(1, 0), (3, 0), (4, 1), (4, 5), (3, 6), (1, 6), (0, 5), (0, 1), (1, 0)]],
    "1": [[(1, 1), (2, 0), (2, 6)], [(1, 6), (3, 6)]],
    "2": [[(0, 1), (1, 0), (3, 0), (4, 1), (4, 2), (0, 6), (4, 6)]],
    "3": [[(0, 0.6), (1, 0), (3, 0), (4, 1), (4, 2), (3, 3), (1.5, 3)],
          [(3, 3), (4, 4), (4, 5), (3, 6), (1, 6), (0, 5.4)]],
    "4": [[(3, 6), (3, 0), (0, 4), (4, 4)]],
    "5": [[(4, 0), (0, 0), (0, 3), (3, 3), (4, 4), (4, 5), (3, 6), (0, 6)]],
    "6": [[(4, 0.4), (3, 0), (1, 0), (0, 1), (0, 5), (1, 6), (3, 6), (4, 5), (4, 4), (3, 3), (0, 3)]],
    "7": [[(0, 0), (4, 0), (1.5, 6)]],
    "8": [[(1, 3), (0, 2), (0, 1), (1, 0), (3, 0), (4, 1), (4, 2), (3, 3), (1, 3), (0, 4), (0, 5),
           (1, 6), (3, 6), (4, 5), (4, 4), (3, 3)]],
    "9": [[(4, 3), (1, 3), (0, 2), (0, 1), (1, 0), (3, 0), (4, 1), (4, 5), (3, 6), (1, 6), (0, 5.6)]],
    "+": [[(0, 3), (4, 3)], [(2, 1), (2, 5)]],
    "-": [[(0, 3), (4, 3)]],
    "x": [[(0.6, 1.6), (3.4, 4.4)], [(3.4, 1.6), (0.6, 4.4)]],
    "=": [[(0, 2.2), (4, 2.2)], [(0, 3.8), (4, 3.8)]],
    "?": [[(0, 1), (1, 0), (3, 0), (4, 1), (4, 2), (2, 3.5), (2, 4.6)], [(2, 5.5), (2, 6)]],
}


def make_problem(rng=_rng) -> tuple[str, int]:
    """A sum a clerk does in their head: 'text' of the question (no '= ?') and its answer."""
    kind = rng.choice("+-x")
    if kind == "x":
        a, b = rng.randint(2, 9), rng.randint(2, 9)
        return f"{a}x{b}", a * b
    a, b = rng.randint(10, 49), rng.randint(1, 9)
    return (f"{a}+{b}", a + b) if kind == "+" else (f"{a}-{b}", a - b)


def _digest(nonce: str, answer: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"challenge:{nonce}:{answer}".encode(), hashlib.sha256).hexdigest()


def _normalise(answer) -> str:
    text = str(answer or "").strip().translate(str.maketrans("０１２３４５６７８９－", "0123456789-"))
    try:
        return str(int(text))
    except ValueError:
        return ""


def issue(now: dt.datetime | None = None) -> Markup:
    """Start a new challenge for this session (replacing any earlier one); returns its SVG."""
    question, answer = make_problem()
    nonce = secrets.token_urlsafe(12)
    expires = (now or clock.utcnow()) + LIFETIME
    session[SESSION_KEY] = {"id": nonce, "hash": _digest(nonce, str(answer)), "exp": expires.isoformat()}
    return render_svg(question + "=?")


def verify(answer, now: dt.datetime | None = None) -> bool:
    """True when `answer` solves this session's challenge. Whatever the outcome, the challenge
    is used up: the caller issues a new one for the next attempt."""
    data = session.pop(SESSION_KEY, None)
    if not isinstance(data, dict) or not {"id", "hash", "exp"} <= data.keys():
        return False
    if (now or clock.utcnow()) > dt.datetime.fromisoformat(data["exp"]):
        return False
    if not _claim(data["id"]):
        return False
    return hmac.compare_digest(data["hash"], _digest(data["id"], _normalise(answer)))


def _claim(nonce: str) -> bool:
    """First use of this challenge id anywhere (the session cookie alone could be replayed)."""
    from app.core.jobs import redis_connection

    ttl = int(LIFETIME.total_seconds()) + 60
    return bool(redis_connection().set(f"zwt:challenge:used:{nonce}", 1, nx=True, ex=ttl))


# -- drawing -----------------------------------------------------------------------------------
def _glyph_paths(char: str, x0: float, rng) -> list[str]:
    scale = rng.uniform(5.0, 6.2)
    angle = math.radians(rng.uniform(-16, 16))
    skew = rng.uniform(-0.25, 0.25)
    y0 = rng.uniform(6, 12)
    cos, sin = math.cos(angle), math.sin(angle)
    paths = []
    for stroke in GLYPHS[char]:
        points = []
        for gx, gy in stroke:
            gx += rng.uniform(-0.22, 0.22) + skew * (3 - gy)
            gy += rng.uniform(-0.22, 0.22)
            cx, cy = (gx - 2) * scale, (gy - 3) * scale
            points.append((x0 + 2 * scale + cx * cos - cy * sin, y0 + 3 * scale + cx * sin + cy * cos))
        d = "M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in points)
        colour = f"hsl({rng.randint(190, 250)},{rng.randint(35, 70)}%,{rng.randint(18, 34)}%)"
        paths.append(f'<path d="{d}" stroke="{colour}" stroke-width="{rng.uniform(2.2, 3.4):.1f}" '
                     f'fill="none" stroke-linecap="round" stroke-linejoin="round"/>')
    return paths


def render_svg(text: str, rng=_rng) -> Markup:
    """`text` drawn with distortion and noise, as an inline <svg> element."""
    width, height = 36 * len(text) + 24, 56
    parts = [f'<rect width="{width}" height="{height}" rx="4" fill="#f4f6f8"/>']
    for _ in range(28):
        parts.append(f'<circle cx="{rng.uniform(0, width):.1f}" cy="{rng.uniform(0, height):.1f}" '
                     f'r="{rng.uniform(0.6, 1.8):.1f}" fill="#9aa5b1"/>')
    for _ in range(3):
        y1, y2 = rng.uniform(8, height - 8), rng.uniform(8, height - 8)
        parts.append(f'<path d="M0 {y1:.1f} Q{width / 2:.1f} {rng.uniform(0, height):.1f} {width} {y2:.1f}" '
                     f'stroke="#b8c2cc" stroke-width="{rng.uniform(1, 1.8):.1f}" fill="none"/>')
    x = 12.0
    for char in text:
        parts.extend(_glyph_paths(char, x, rng))
        x += rng.uniform(30, 38)
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                  f'viewBox="0 0 {width} {height}" role="img" class="zwt-challenge">{"".join(parts)}</svg>')
