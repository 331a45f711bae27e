"""Sales forecasts from weekly shipment history: Holt's linear exponential smoothing (a level and a
trend, each smoothed), in Decimal, so a constant or a straight-line history is forecast exactly.

The smoothing weights α (level) and β (trend) are chosen per series from a small grid by the smallest
sum of squared one-step-ahead errors. The error shown beside a forecast is measured honestly: the last
`holdout` weeks are held out, the model is fitted on the weeks before them and forecasts them, and
MAE (mean absolute error, in units) and MAPE (mean absolute percentage error, over the held-out weeks
that shipped anything) compare that forecast with what shipped. The forecast itself is then fitted on
the whole history. Histories of fewer than 3 weeks fall back to their mean (a moving average).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ALPHAS = tuple(Decimal(a) for a in ("0.1", "0.3", "0.5", "0.7", "0.9"))
BETAS = tuple(Decimal(b) for b in ("0.05", "0.1", "0.2", "0.3"))
CENT = Decimal("0.01")
HOLT, MEAN = "holt", "moving_average"


@dataclass
class Forecast:
    method: str
    values: list                       # the next weeks, Decimal ≥ 0, rounded to 0.01
    alpha: Decimal | None = None
    beta: Decimal | None = None
    mae: Decimal | None = None         # on the held-out weeks
    mape: Decimal | None = None        # percent, on the held-out weeks that shipped anything
    held_out: list = field(default_factory=list)      # [(actual, forecast)] of the held-out weeks


def _holt(series, alpha, beta):
    """(level, trend, sum of squared one-step errors) after running through `series` (≥ 2 points)."""
    level, trend = series[0], series[1] - series[0]
    sse = Decimal(0)
    for y in series[1:]:
        error = y - (level + trend)
        sse += error * error
        previous = level
        level = alpha * y + (1 - alpha) * (level + trend)
        trend = beta * (level - previous) + (1 - beta) * trend
    return level, trend, sse


def fit(series) -> tuple:
    """(method, alpha, beta, predict(h) -> the forecast h steps ahead) for `series`."""
    series = [Decimal(str(y)) for y in series]
    if len(series) < 3:
        mean = sum(series, Decimal(0)) / len(series) if series else Decimal(0)
        return MEAN, None, None, lambda h: mean
    best = None
    for alpha in ALPHAS:
        for beta in BETAS:
            level, trend, sse = _holt(series, alpha, beta)
            if best is None or sse < best[0]:
                best = (sse, alpha, beta, level, trend)
    _sse, alpha, beta, level, trend = best
    return HOLT, alpha, beta, lambda h: level + h * trend


def _clip(value) -> Decimal:
    return max(Decimal(0), value).quantize(CENT, ROUND_HALF_UP)


def errors(actual, predicted) -> tuple:
    """(MAE, MAPE in percent) of `predicted` against `actual`; MAPE only over actual values that are not 0
    (None when all are)."""
    actual = [Decimal(str(a)) for a in actual]
    predicted = [Decimal(str(p)) for p in predicted]
    if not actual:
        return None, None
    mae = sum((abs(a - p) for a, p in zip(actual, predicted)), Decimal(0)) / len(actual)
    shipped = [(a, p) for a, p in zip(actual, predicted) if a != 0]
    mape = (sum((abs(a - p) / abs(a) for a, p in shipped), Decimal(0)) * 100 / len(shipped)) if shipped else None
    return mae.quantize(CENT, ROUND_HALF_UP), None if mape is None else mape.quantize(CENT, ROUND_HALF_UP)


def forecast(series, horizon: int = 4, holdout: int = 4) -> Forecast:
    """The next `horizon` weeks of a weekly series (oldest first), with its error on the last `holdout`
    weeks when the history is long enough to hold them out (at least 3 weeks before them)."""
    series = [Decimal(str(y)) for y in series]
    held_out, mae, mape = [], None, None
    if holdout and len(series) >= holdout + 3:
        _m, _a, _b, predict = fit(series[:-holdout])
        predicted = [_clip(predict(h)) for h in range(1, holdout + 1)]
        actual = series[-holdout:]
        mae, mape = errors(actual, predicted)
        held_out = list(zip(actual, predicted))
    method, alpha, beta, predict = fit(series)
    return Forecast(method=method, values=[_clip(predict(h)) for h in range(1, horizon + 1)], alpha=alpha,
                    beta=beta, mae=mae, mape=mape, held_out=held_out)
