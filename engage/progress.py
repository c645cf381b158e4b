"""A progress bar for management commands, drawn on stderr (only when it is a terminal)."""


class ProgressBar:
    """`[#######.............]  35%  161,000 / 460,116 rows`, redrawn in place."""

    WIDTH = 30

    def __init__(self, stream, unit: str = "rows"):
        self.stream, self.unit = stream, unit
        self.shown = None

    def __call__(self, done: int, total: int) -> None:
        percent = min(100, done * 100 // total) if total else 0
        filled = self.WIDTH * percent // 100
        line = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {percent:3d}%  {done:,} / {total:,} {self.unit}"
        if line != self.shown:
            self.stream.write("\r" + line, style_func=_plain, ending="")
            self.stream.flush()
            self.shown = line

    def close(self) -> None:
        if self.shown is not None:
            self.stream.write("", style_func=_plain)


def _plain(text: str) -> str:
    return text  # stderr is styled as errors by default
