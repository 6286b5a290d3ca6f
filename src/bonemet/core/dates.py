"""Calendar arithmetic for the guideline's month thresholds."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta


def add_months(start: dt.date, months: int) -> dt.date:
    """Same day `months` later, clamped to the month's end (31 Jan + 6 → 31 Jul; 31 Aug + 6 → 28/29 Feb).

    This is how clinicians count "month 6": the anniversary date, not 6 × 30 days.
    """
    result: dt.date = start + relativedelta(months=months)
    return result
