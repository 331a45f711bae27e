"""Text filters that take the user's text literally: FAB's "contains / starts with / ends with"
pass it into LIKE as it is, so "%" would match every row and "_" any character."""
from __future__ import annotations

from flask_appbuilder.models.sqla import filters as sqla_filters


def like_literal(text) -> str:
    """User text as a LIKE pattern that matches it literally (escape character: backslash)."""
    return str(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _LiteralLike:
    """FAB's "contains / starts with / ends with" filters pass the user's text into LIKE as it
    is, so "%" matches every row and "_" any character. These match the text itself."""

    pattern = "%{}%"
    negate = False

    def apply(self, query, value):
        query, field = sqla_filters.get_field_setup_query(query, self.model, self.column_name)
        condition = field.ilike(self.pattern.format(like_literal(value if value is not None else "")), escape="\\")
        return query.filter(~condition if self.negate else condition)


class LiteralStartsWith(_LiteralLike, sqla_filters.FilterStartsWith):
    """On a column of choices (a status), a value that is one of its choices, and the start of no other, is
    matched as equal: the same rows, read along the column's indexes (ILIKE reads every row)."""

    pattern = "{}%"

    def apply(self, query, value):
        column = getattr(self.model, self.column_name, None) if self.column_name else None
        info = getattr(getattr(column, "property", None), "columns", [None])[0]
        keys = [str(key) for key, _label in (getattr(info, "info", {}) or {}).get("choices", ())]
        if isinstance(value, str) and value in keys and not any(k != value and k.startswith(value) for k in keys):
            return query.filter(column == value)
        return super().apply(query, value)


class LiteralNotStartsWith(_LiteralLike, sqla_filters.FilterNotStartsWith):
    pattern, negate = "{}%", True


class LiteralEndsWith(_LiteralLike, sqla_filters.FilterEndsWith):
    pattern = "%{}"


class LiteralNotEndsWith(_LiteralLike, sqla_filters.FilterNotEndsWith):
    pattern, negate = "%{}", True


class LiteralContains(_LiteralLike, sqla_filters.FilterContains):
    pass


class LiteralNotContains(_LiteralLike, sqla_filters.FilterNotContains):
    negate = True


_LITERAL = {
    sqla_filters.FilterStartsWith: LiteralStartsWith, sqla_filters.FilterNotStartsWith: LiteralNotStartsWith,
    sqla_filters.FilterEndsWith: LiteralEndsWith, sqla_filters.FilterNotEndsWith: LiteralNotEndsWith,
    sqla_filters.FilterContains: LiteralContains, sqla_filters.FilterNotContains: LiteralNotContains,
}


class LiteralFilterConverter(sqla_filters.SQLAFilterConverter):
    conversion_table = tuple((test, [_LITERAL.get(cls, cls) for cls in classes])
                             for test, classes in sqla_filters.SQLAFilterConverter.conversion_table)
