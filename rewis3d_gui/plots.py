"""A small line plot painted with QPainter: live loss and mIoU curves without a plotting dependency.

Training events arrive a few per second, so the plot only keeps (x, y) lists per series and
repaints on ``update()``; drawing a few thousand points with QPainter takes well under a frame.
"""

from __future__ import annotations

import math

from qtpy.QtCore import QPointF, QRectF, Qt
from qtpy.QtGui import QColor, QPainter, QPen, QPolygonF
from qtpy.QtWidgets import QSizePolicy, QWidget

SERIES_COLORS = ["#4e9af1", "#f18f4e", "#5ec26a", "#d65ac2", "#e8d44d", "#9b8cf0", "#e05a5a",
                 "#59c9c9"]
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 8, 18, 18


class LinePlot(QWidget):
    """Named series of (x, y) points on shared axes, with a legend and a title."""

    def __init__(self, title: str, y_range: tuple[float, float] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.title = title
        self.y_range = y_range  # fixed (e.g. 0..100 for mIoU) or None to fit the data
        self.series: dict[str, list[tuple[float, float]]] = {}
        self.setMinimumHeight(130)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def clear(self) -> None:
        self.series.clear()
        self.update()

    def add_point(self, name: str, x: float, y: float | None) -> None:
        """Append one point; None and non-finite values (a NaN loss) are skipped."""
        if y is None or not math.isfinite(y):
            return
        self.series.setdefault(name, []).append((float(x), float(y)))
        self.update()

    def point_count(self) -> int:
        return sum(len(points) for points in self.series.values())

    # -- painting --------------------------------------------------------------------------
    def _bounds(self) -> tuple[float, float, float, float]:
        xs = [x for pts in self.series.values() for x, _ in pts] or [0.0, 1.0]
        ys = [y for pts in self.series.values() for _, y in pts] or [0.0, 1.0]
        y0, y1 = self.y_range or (min(ys), max(ys))
        if y1 - y0 < 1e-9:
            y0, y1 = y0 - 0.5, y1 + 0.5
        x0, x1 = min(xs), max(xs)
        return x0, max(x1, x0 + 1.0), y0, y1

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#1e2026"))
        plot = QRectF(MARGIN_LEFT, MARGIN_TOP, self.width() - MARGIN_LEFT - MARGIN_RIGHT,
                      self.height() - MARGIN_TOP - MARGIN_BOTTOM)
        x0, x1, y0, y1 = self._bounds()
        text = QColor("#c8c8c8")
        painter.setPen(QPen(QColor("#555a66"), 1))
        painter.drawRect(plot)
        painter.setPen(text)
        painter.drawText(QRectF(0, 0, self.width(), MARGIN_TOP), Qt.AlignmentFlag.AlignCenter,
                         self.title)
        for value, row in ((y1, plot.top()), (y0, plot.bottom() - 10)):
            painter.drawText(QRectF(0, row - 2, MARGIN_LEFT - 4, 14),
                             Qt.AlignmentFlag.AlignRight, f"{value:.3g}")
        painter.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), 14),
                         Qt.AlignmentFlag.AlignLeft, f"{x0:.0f}")
        painter.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), 14),
                         Qt.AlignmentFlag.AlignRight, f"step {x1:.0f}")

        def to_screen(x: float, y: float) -> QPointF:
            return QPointF(plot.left() + (x - x0) / (x1 - x0) * plot.width(),
                           plot.bottom() - (y - y0) / (y1 - y0) * plot.height())

        for index, (name, points) in enumerate(self.series.items()):
            color = QColor(SERIES_COLORS[index % len(SERIES_COLORS)])
            painter.setPen(QPen(color, 1.6))
            screen = [to_screen(x, y) for x, y in points]
            if len(screen) == 1:
                painter.drawEllipse(screen[0], 2.5, 2.5)
            else:
                painter.drawPolyline(QPolygonF(screen))
            painter.drawText(QPointF(plot.left() + 6 + 78 * (index % 4),
                                     plot.top() + 14 + 14 * (index // 4)), name)
        painter.end()
