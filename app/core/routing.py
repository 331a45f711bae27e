"""URL rules that compile their URL builders when first asked to build a URL.

Werkzeug compiles two small Python functions per rule when the rule is added (to build its URL with and without
extra query arguments): about 2 KB each, 3 MB for the app's 1,500 rules, most of which a process never builds
a URL for. Here each is compiled the first time `url_for` needs it; matching a request does not use them."""
from __future__ import annotations

from werkzeug.routing import Rule


class LazilyBuiltRule(Rule):
    def _compile_builder(self, append_unknown: bool = True):
        compile_builder = super()._compile_builder
        built = None

        def build(rule, *args, **kwargs):
            nonlocal built
            if built is None:
                built = compile_builder(append_unknown).__get__(rule, None)
            return built(*args, **kwargs)

        return build
