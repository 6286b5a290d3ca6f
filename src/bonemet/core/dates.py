"""Calendar arithmetic for the guideline's month thresholds."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(start: dt.date, months: int) -> dt.date:
    """Same day `months` later, clamped to the month's end (31 Jan + 6 → 31 Jul; 31 Aug + 6 → 28/29 Feb).

    This is how clinicians count "month 6": the anniversary date, not 6 × 30 days. (Same result as
    dateutil's `relativedelta(months=...)`, without its cost on every scan read.)
    """
    year, month0 = divmod(start.year * 12 + start.month - 1 + months, 12)
    month = month0 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
