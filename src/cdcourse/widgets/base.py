"""The pattern every course explorer follows: controls -> pure compute -> render.

An explorer is a small class:

- ``controls``: a dict name -> ipywidgets control (Dropdown, IntSlider, Checkbox, ...);
- ``compute(**values)``: a pure function of the control values that returns a result (it calls
  the kit's skill functions; no widgets, no printing), so tests call it directly;
- ``render(result)``: what to show for a result: a DataFrame, an HTML snippet, a matplotlib
  Figure, or a list of them.

The base class wires them together: one control change runs ``compute`` once and ``render``
once; ``set(**values)`` changes controls from code (tests, notebooks) the same way; an error in
``compute`` or ``render`` is shown inside the widget as a message, never as a traceback.

Examples
--------
>>> import ipywidgets as widgets
>>> class Doubler(Explorer):
...     title = "Doubler"
...     def make_controls(self):
...         return {"x": widgets.IntSlider(value=2, min=0, max=10, description="x")}
...     def compute(self, x):
...         return 2 * x
...     def render(self, result):
...         return f"<p>Twice x is {result}</p>"
>>> ex = Doubler()
>>> ex.result
4
>>> ex.set(x=5).result, ex.n_computes, ex.n_renders
(10, 2, 2)
"""
from __future__ import annotations

import html
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import ipywidgets as widgets
import pandas as pd

from cdcourse.errors import CdcourseError

__all__ = ["Explorer", "message_html", "in_kernel"]


def in_kernel() -> bool:
    """Whether we run inside a Jupyter kernel (where widgets can be displayed)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def message_html(text: str, *, kind: str = "error") -> str:
    """A message box in the course look; the kind is carried by a word and an icon, not colour alone.

    Examples
    --------
    >>> "Could not compute" in message_html("column 'x' is missing")
    True
    """
    icon, word, border = {
        "error": ("⚠", "Could not compute", "#b34700"),
        "note": ("ℹ", "Note", "#0072b2"),
    }[kind]
    role = "alert" if kind == "error" else "note"
    return (
        f"<div role='{role}' style='border-left: 6px solid {border}; background: #f6f7f8; color: #1a1a1a; "
        f"padding: 0.5em 0.9em; margin: 0.3em 0'><span aria-hidden='true'>{icon} </span>"
        f"<strong>{word}:</strong> {html.escape(text)}</div>"
    )


class Explorer:
    """Base class of the course explorers (see the module docstring for the pattern).

    Subclasses define :meth:`make_controls` (or set ``self.controls`` before calling
    ``super().__init__()``), :meth:`compute` and :meth:`render`; they may override
    :meth:`on_change` to adjust other controls when one changes (for example the variables offered
    after a new dataset is picked) without extra computations.

    Attributes
    ----------
    result : the latest result of ``compute`` (None after an error).
    error : the latest error message, or None.
    rendered : the objects the latest render produced (figures already turned into PNG images).
    n_computes, n_renders : how many times each ran (tests check one change -> one of each).
    """

    #: Heading shown above the controls.
    title: str = ""
    #: Resolution of charts shown in the widget.
    chart_dpi: int = 80

    def __init__(self) -> None:
        if not hasattr(self, "controls"):
            self.controls: dict[str, widgets.Widget] = self.make_controls()
        if not isinstance(self.controls, Mapping) or not self.controls:
            raise CdcourseError("an explorer needs a non-empty dict of controls (name -> ipywidgets control)")
        self.output = widgets.Output()
        self.result: Any = None
        self.error: str | None = None
        self.rendered: list[Any] = []
        self.n_computes = 0
        self.n_renders = 0
        self._hold_depth = 0
        self._dirty = False
        self._widget: widgets.Widget | None = None
        for name, control in self.controls.items():
            control.observe(self._make_handler(name), names="value")
        self.update()

    # -- to override
    def make_controls(self) -> dict[str, widgets.Widget]:
        """The controls, name -> ipywidgets control; names are the keyword arguments of compute."""
        raise TypeError(f"{type(self).__name__} has no controls: define make_controls() or set self.controls")

    def compute(self, **values: Any) -> Any:
        """The result for these control values; pure (no widgets, no printing)."""
        raise TypeError(f"{type(self).__name__} must define compute(**values), the pure step of the explorer")

    def render(self, result: Any) -> Any:
        """What to show for ``result``: an object or a list (DataFrame, HTML text, Figure, widget)."""
        return result

    def on_change(self, name: str, value: Any) -> None:
        """Hook run when control ``name`` changes, before the single compute; adjust other controls here."""

    # -- machinery
    @property
    def values(self) -> dict[str, Any]:
        """The current control values, name -> value."""
        return {name: control.value for name, control in self.controls.items()}

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Change several controls and compute once at the end (nested holds compute once)."""
        self._hold_depth += 1
        try:
            yield
        finally:
            self._hold_depth -= 1
            if self._hold_depth == 0 and self._dirty:
                self._dirty = False
                self.update()

    def _make_handler(self, name: str):
        def handler(change: dict) -> None:
            with self.hold():
                self._dirty = True
                self.on_change(name, change["new"])

        return handler

    def set(self, **values: Any) -> Explorer:
        """Set control values from code, as a learner would; computes and renders once; returns self.

        Unknown names and values a control does not offer raise :class:`CdcourseError`.
        """
        unknown = [n for n in values if n not in self.controls]
        if unknown:
            raise CdcourseError(
                f"{', '.join(map(repr, unknown))} is not a control of {type(self).__name__}; "
                f"controls are: {', '.join(self.controls)}"
            )
        with self.hold():
            # In the controls' own order, so a dataset is picked before a variable of that dataset.
            for name in [n for n in self.controls if n in values]:
                value = values[name]
                control = self.controls[name]
                options = _option_values(control)
                if options is not None and value not in options:
                    raise CdcourseError(
                        f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}"
                    )
                try:
                    control.value = value
                except Exception as err:  # traitlets' TraitError: say which control and why
                    raise CdcourseError(f"{name} cannot be set to {value!r}: {err}") from err
        return self

    def update(self) -> None:
        """Run compute once with the current values, then render once (errors become a message)."""
        self.n_computes += 1
        try:
            self.result = self.compute(**self.values)
            self.error = None
        except Exception as err:  # noqa: BLE001 - any failure is shown in the widget, not raised
            self.result = None
            self.error = str(err) if isinstance(err, CdcourseError) else f"{type(err).__name__}: {err}"
        self.n_renders += 1
        if self.error is not None:
            shown: list[Any] = [_HTML(message_html(self.error))]
        else:
            try:
                shown = _prepare(self.render(self.result), self.chart_dpi)
            except Exception as err:  # noqa: BLE001
                self.error = f"{type(err).__name__}: {err}"
                shown = [_HTML(message_html(self.error))]
        self.rendered = shown
        self._show(shown)

    def _show(self, objs: list[Any]) -> None:
        if not in_kernel():
            return  # tests and scripts read self.result / self.rendered; nothing to draw into
        from IPython.display import clear_output, display

        with self.output:
            clear_output(wait=True)
            for obj in objs:
                display(obj)

    @property
    def widget(self) -> widgets.Widget:
        """The whole explorer as one ipywidgets box: title, controls, output."""
        if self._widget is None:
            parts: list[widgets.Widget] = []
            if self.title:
                parts.append(widgets.HTML(f"<h3 style='margin: 0.2em 0'>{html.escape(self.title)}</h3>"))
            parts.append(widgets.HBox(list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap")))
            parts.append(self.output)
            self._widget = widgets.VBox(parts)
        return self._widget

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"{type(self).__name__}({values})"


class _HTML:
    """A displayable HTML snippet (IPython.display.HTML without importing IPython at module load)."""

    def __init__(self, data: str) -> None:
        self.data = data

    def _repr_html_(self) -> str:
        return self.data

    def __repr__(self) -> str:
        return self.data


def _option_values(control: widgets.Widget) -> list[Any] | None:
    """The values a selection control accepts, or None for free controls (sliders, text)."""
    if isinstance(control, (widgets.Dropdown, widgets.RadioButtons, widgets.Select, widgets.ToggleButtons)):
        out = []
        for opt in control.options:
            out.append(opt[1] if isinstance(opt, tuple) and len(opt) == 2 else opt)
        return out
    return None


def _prepare(rendered: Any, dpi: int) -> list[Any]:
    """Turn a render result into displayable objects; matplotlib figures become PNG images and are closed."""
    items = list(rendered) if isinstance(rendered, (list, tuple)) else [rendered]
    out: list[Any] = []
    for item in items:
        if item is None:
            continue
        fig = getattr(item, "fig", None) if not _is_figure(item) else item
        if _is_figure(fig):
            out.append(_figure_image(fig, dpi))
        elif isinstance(item, str):
            out.append(_HTML(item))
        elif isinstance(item, pd.DataFrame):
            out.append(_HTML(item.to_html(index=False)))
        else:
            out.append(item)
    return out


def _is_figure(obj: Any) -> bool:
    from matplotlib.figure import Figure

    return isinstance(obj, Figure)


def _figure_image(fig: Any, dpi: int) -> Any:
    # A PNG made here (and the figure closed) shows once in the output area, with no duplicate from
    # the inline backend and no open figures piling up as a learner moves a control.
    import matplotlib.pyplot as plt
    from IPython.display import Image

    buf = io.BytesIO()
    if getattr(fig, "_cdcourse_fitted", False) and fig.canvas is not None and hasattr(fig.canvas, "buffer_rgba"):
        # Margins already fit the labels: one draw and a quick PNG encoding (savefig would lay out
        # and draw the figure again).
        from PIL import Image as PILImage

        fig.canvas.draw()
        width, height = fig.canvas.get_width_height(physical=True)
        PILImage.frombuffer("RGBA", (width, height), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(
            buf, format="png", compress_level=1
        )
    else:
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    if plt.fignum_exists(getattr(fig, "number", -1)):
        plt.close(fig)
    return Image(data=buf.getvalue(), format="png")
