"""报表中心: every module's reports in one place, favourites and reports pinned to the home page, and reports
built without code (saved reports)."""
