"""A chain's steps drawn as SVG on the server (no script, no external library): one box per
step with its name, mode, approver rules, skip condition and editable fields; arrows for the
default order and for every `next` branch, labelled with the branch's condition.

Layout: boxes stacked top to bottom in list order between 开始 and 结束. An arrow to the next
box goes straight down; every other arrow (a jump forward, back, or to the end) leaves the
box on the right and runs in its own vertical lane, so arrows never cross a box.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.workflow.definitions import END
from app.workflow.views_common import describe_step

BOX_X, BOX_W = 20, 400
PAD, LINE = 9, 17
GAP = 46
TERMINAL_H = 30
LANE_GAP = 22
LABEL_ROOM = 300
FONT = 12
MAX_LABEL = 48


def _width(text: str) -> float:
    """Rough drawn width in px at FONT size: CJK and full-width characters count double."""
    return sum(FONT if unicodedata.east_asian_width(ch) in ("W", "F") else FONT * 0.55 for ch in text)


def _wrap(text: str, room: float) -> list[str]:
    """Lines of at most `room` px, broken between words (any CJK character is a word)."""
    tokens = re.findall(r"[\u2e80-\u9fff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+\s*|\s+", text)
    lines, current = [], ""
    for token in tokens:
        if current and _width(current + token.rstrip()) > room:
            lines.append(current.rstrip())
            current = token.lstrip()
        else:
            current += token
        while _width(current.rstrip()) > room:      # one word longer than the line
            cut = max(n for n in range(1, len(current) + 1) if _width(current[:n]) <= room or n == 1)
            lines.append(current[:cut])
            current = current[cut:]
    if current.strip():
        lines.append(current.rstrip())
    return lines or [""]


def _short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class _Node:
    key: str           # step id, or "" for the start and END for the end
    top: float
    height: float
    lines: list        # [(text, css class)]
    kind: str          # start | step | end

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def mid(self) -> float:
        return self.top + self.height / 2


def _field_label(document: str, field: str) -> str:
    """A document field by its label on the module's screens (the code when the module has none)."""
    from app.core.registry import registry

    spec = registry.specs.get(document)
    return str(spec.label_columns.get(field, field)) if spec is not None else field


def _step_lines(step, document: str = "") -> list[tuple[str, str]]:
    info = describe_step(step)
    room = BOX_W - 2 * PAD
    lines = [(line, "name") for line in _wrap(f"{info['name']}  [{info['id']}]", room)]
    lines += [(line, "mode") for line in _wrap(_("Mode: %(mode)s", mode=info["mode"]), room)]
    approvers = "、".join(info["approvers"]) or _("nobody")
    lines += [(line, "rule") for line in _wrap(_("Approvers: %(rules)s", rules=approvers), room)]
    if info["when"]:
        lines += [(line, "when") for line in _wrap(_("Only when %(condition)s; skipped otherwise",
                                                     condition=info["when"]), room)]
    if step.editable_fields:
        lines += [(line, "rule") for line in _wrap(_("May edit: %(fields)s", fields="、".join(
            _field_label(document, f) for f in step.editable_fields)),
                                                    room)]
    return lines


def _edges(definition) -> list[tuple[str, str, str | None]]:
    """(from, to, label) for every arrow; "" is the start."""
    steps = definition.steps
    edges = [("", steps[0].id, None)]
    for pos, step in enumerate(steps):
        following = steps[pos + 1].id if pos + 1 < len(steps) else END
        if not step.next:
            edges.append((step.id, following, None))
            continue
        for branch in step.next:
            edges.append((step.id, branch.to, branch.when.source if branch.when is not None else _("otherwise")))
        if all(branch.when is not None for branch in step.next):
            edges.append((step.id, following, _("otherwise")))
    merged: dict = {}
    for source, target, label in edges:
        labels = merged.setdefault((source, target), [])
        if label and label not in labels:
            labels.append(label)
    return [(s, t, " / ".join(labels) or None) for (s, t), labels in merged.items()]


def render_svg(definition, current: str | None = None) -> Markup:
    """The definition as an inline <svg> element; `current` (a step id, or END for an approval
    that has ended approved) is drawn highlighted, marked aria-current and labelled 当前."""
    nodes: list[_Node] = []
    y = 10.0
    nodes.append(_Node("", y, TERMINAL_H, [(_("Start"), "terminal")], "start"))
    y += TERMINAL_H + GAP
    for step in definition.steps:
        lines = _step_lines(step, definition.document)
        height = 2 * PAD + LINE * len(lines)
        nodes.append(_Node(step.id, y, height, lines, "step"))
        y += height + GAP
    nodes.append(_Node(END, y, TERMINAL_H, [(_("End"), "terminal")], "end"))
    total_height = y + TERMINAL_H + 10
    index = {node.key: pos for pos, node in enumerate(nodes)}

    edges = _edges(definition)
    jumps = [(s, t, label) for s, t, label in edges if index[t] != index[s] + 1]
    box_right = BOX_X + BOX_W
    width = box_right + LANE_GAP * (len(jumps) + 1) + LABEL_ROOM
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="zwt-chain-diagram" width="{width:.0f}" '
           f'height="{total_height:.0f}" viewBox="0 0 {width:.0f} {total_height:.0f}" role="img" '
           f'aria-label="{escape(definition.title)}" font-size="{FONT}" '
           f'font-family="-apple-system, PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif">',
           '<defs><marker id="zwt-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']

    for node in nodes:
        if node.kind == "step":
            here = current is not None and node.key == current
            mark = ' aria-current="step"' if here else ""
            out.append(f'<g class="zwt-step{" zwt-step-current" if here else ""}" data-step="{escape(node.key)}"'
                       f'{mark}>'
                       f'<rect x="{BOX_X}" y="{node.top:.0f}" width="{BOX_W}" height="{node.height:.0f}" rx="6" '
                       + ('fill="#fff7e6" stroke="#fa8c16" stroke-width="3"/>' if here else
                          'fill="#fff" stroke="#337ab7" stroke-width="1.5"/>'))
            if here:
                out.append(f'<text class="zwt-step-current-label" x="{BOX_X + BOX_W - PAD}" y="{node.top + PAD + LINE - 4:.0f}" '
                           f'text-anchor="end" font-weight="bold" fill="#d46b08">{escape(_("Current step"))}</text>')
            for n, (text, css) in enumerate(node.lines):
                style = {"name": ' font-weight="bold" fill="#222"', "when": ' fill="#8a6d3b"',
                         "mode": ' fill="#555"'}.get(css, ' fill="#333"')
                out.append(f'<text x="{BOX_X + PAD}" y="{node.top + PAD + LINE * (n + 1) - 4:.0f}"{style}>'
                           f'{escape(text)}</text>')
            out.append("</g>")
        else:
            ended = current is not None and node.key == current
            mark = ' aria-current="step"' if ended else ""
            out.append(f'<g class="zwt-terminal{" zwt-step-current" if ended else ""}"'
                       f'{mark}><rect x="{BOX_X + BOX_W / 2 - 50:.0f}" y="{node.top:.0f}" width="100" '
                       f'height="{TERMINAL_H}" rx="15" fill="#f5f5f5" stroke="#777"/>'
                       f'<text x="{BOX_X + BOX_W / 2:.0f}" y="{node.top + 20:.0f}" text-anchor="middle">'
                       f'{escape(node.lines[0][0])}</text></g>')

    centre = BOX_X + BOX_W / 2
    for source, target, label in edges:
        if (source, target, label) in jumps:
            continue
        a, b = nodes[index[source]], nodes[index[target]]
        out.append(f'<path class="zwt-edge" data-from="{escape(source)}" data-to="{escape(target)}" '
                   f'd="M{centre:.0f},{a.bottom:.0f} L{centre:.0f},{b.top - 1:.0f}" stroke="#555" fill="none" '
                   f'marker-end="url(#zwt-arrow)"/>')
        if label:
            out.append(_label(centre + 8, (a.bottom + b.top) / 2 + 4, label))

    exits: dict = {}
    entries: dict = {}
    for lane, (source, target, label) in enumerate(jumps):
        a, b = nodes[index[source]], nodes[index[target]]
        k = exits.setdefault(source, 0)
        exits[source] = k + 1
        m = entries.setdefault(target, 0)
        entries[target] = m + 1
        x_lane = box_right + LANE_GAP * (lane + 1)
        y_out = min(a.top + 12 + 10 * k, a.bottom - 4)
        y_in = min(b.top + 10 + 8 * m, b.bottom - 4)
        right_a = box_right if a.kind == "step" else centre + 50
        right_b = box_right if b.kind == "step" else centre + 50
        out.append(f'<path class="zwt-edge zwt-jump" data-from="{escape(source)}" data-to="{escape(target)}" '
                   f'd="M{right_a:.0f},{y_out:.0f} L{x_lane:.0f},{y_out:.0f} L{x_lane:.0f},{y_in:.0f} '
                   f'L{right_b + 1:.0f},{y_in:.0f}" stroke="#555" fill="none" stroke-dasharray="5,3" '
                   f'marker-end="url(#zwt-arrow)"/>')
        if label:
            out.append(_label(x_lane + 4, y_out - 3, label))
    out.append("</svg>")
    return Markup("".join(out))


def _label(x: float, y: float, text: str) -> str:
    return (f'<text class="zwt-edge-label" x="{x:.0f}" y="{y:.0f}" font-size="11" fill="#a94442" '
            f'stroke="#fcfcfc" stroke-width="3" paint-order="stroke"><title>{escape(text)}</title>'
            f'{escape(_short(text))}</text>')
