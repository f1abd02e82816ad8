"""Check cases: one input to one function, with the reference result.

Cases come in chapter files, ``public/<chapter>.json`` here for the learner's
checks and, with other inputs, hidden fixtures in the grader's installation.
Both are written by ``python -m grading fixtures`` from TensorFlow/Keras (or
scikit-learn) results, never from dlmath's own output.

File layout::

    {"chapter": "03_activations", "reference": "...",
     "functions": {"sigmoid": {"module": "activations", "section": "03_activations §2.2",
                               "params": ["z"], "hints": {...}, "cases": [case, ...]}}}

(Points live in the grader's chapter registry, not here.)

A case holds ``name``, ``args`` (list), ``kwargs`` (dict), one of ``expected``,
``raises`` (an exception name) or ``check`` (a property of the result, see
``properties``), ``rtol``/``atol``, an optional ``weight`` (default 1: its share of the
function's points relative to the other cases, see ``compare.grade``), and ``mistakes``: outputs that typical wrong
implementations produce on these inputs, each with a hint. Values are arrays,
tuples, lists and dicts of them, plain JSON data, functions stored by name and
random generators stored by seed (see ``arrays.encode_value`` and ``callables``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from dlmath.checking import arrays

PUBLIC_DIR = Path(__file__).with_name("public")


@dataclass(frozen=True)
class Mistake:
    hint: str
    output: object  # an array, or a tuple/list of arrays like the expected result


@dataclass(frozen=True)
class Case:
    function: str
    name: str
    args: tuple
    kwargs: dict
    expected: object = None  # an array, or a tuple/list of arrays
    raises: str | None = None
    rtol: float = 1e-7
    atol: float = 0.0
    mistakes: tuple[Mistake, ...] = ()
    arg_names: tuple[str, ...] = ()
    check: dict | None = None  # {"name": property, "params": {...}}: judged by properties.judge
    weight: float = 1.0  # its share of the function's points, relative to the other cases (compare.grade)


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    module: str
    chapter: str
    section: str
    hints: dict = field(default_factory=dict)
    cases: tuple[Case, ...] = ()
    driver: str = ""  # for a method ("Value.tanh"): the callables.DRIVERS entry that exercises its class
    builds_on: tuple[str, ...] = ()  # graded functions of its chapter its checks may run (the registry's builds_on)

    @property
    def qualname(self) -> str:
        return f"dlmath.{self.module}.{self.name}"


def _case_from_json(function: str, raw: dict, params: list[str]) -> Case:
    return Case(
        function=function,
        arg_names=tuple(params[:len(raw["args"])]),
        name=raw["name"],
        args=tuple(arrays.decode_value(a) for a in raw["args"]),
        kwargs={k: arrays.decode_value(v) for k, v in raw.get("kwargs", {}).items()},
        expected=arrays.decode_value(raw["expected"]) if raw.get("expected") is not None else None,
        raises=raw.get("raises"),
        rtol=raw.get("rtol", 1e-7),
        atol=raw.get("atol", 0.0),
        mistakes=tuple(Mistake(m["hint"], arrays.decode_value(m["output"])) for m in raw.get("mistakes", [])),
        check=({"name": raw["check"]["name"], "params": arrays.decode_value(raw["check"].get("params", {"dict": {}}))}
               if raw.get("check") else None),
        weight=float(raw.get("weight", 1.0)),
    )


def load_chapter_file(path: Path) -> dict[str, FunctionSpec]:
    """Read one chapter file into ``{function name: FunctionSpec}`` (file order kept)."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return {
        name: FunctionSpec(
            name=name,
            module=spec["module"],
            chapter=raw["chapter"],
            section=spec["section"],
            hints=spec.get("hints", {}),
            driver=spec.get("driver", ""),
            # the registry's builds_on where the file has it; until then the references' hints name them as "uses"
            builds_on=tuple(spec.get("builds_on", spec.get("hints", {}).get("uses", []))),
            cases=tuple(_case_from_json(name, c, spec.get("params", [])) for c in spec["cases"]),
        )
        for name, spec in raw["functions"].items()
    }


@cache
def public_specs() -> dict[str, dict[str, FunctionSpec]]:
    """Every public chapter file shipped with this copy of dlmath: ``{chapter: {fn: spec}}``."""
    return {path.stem: load_chapter_file(path) for path in sorted(PUBLIC_DIR.glob("*.json"))}


def resolve(names) -> list[FunctionSpec]:
    """Turn check targets into specs.

    A target is a chapter id (``"03_activations"``), a function name
    (``"sigmoid"``) or a qualified name (``"activations.sigmoid"``). No target
    means every chapter this copy has cases for.

    Raises:
        ValueError: for a target with no public cases, listing what exists.
    """
    chapters = public_specs()
    if not names:
        return [spec for specs in chapters.values() for spec in specs.values()]
    by_name = {}
    for specs in chapters.values():
        for spec in specs.values():
            by_name[spec.name] = by_name[f"{spec.module}.{spec.name}"] = by_name[spec.qualname] = spec
    resolved = []
    for name in names:
        if name in chapters:
            resolved.extend(chapters[name].values())
        elif name in by_name:
            resolved.append(by_name[name])
        else:
            known = ", ".join(list(chapters) + sorted({s.name for s in by_name.values()}))
            raise ValueError(f"no checks named {name!r}; this copy of dlmath has checks for: {known}")
    return resolved


def as_json_case(case_dict: dict) -> dict:
    """Encode the values of a case dict for writing (used by the fixture generator)."""
    out = dict(case_dict)
    out["args"] = [arrays.encode_value(a) for a in case_dict["args"]]
    out["kwargs"] = {k: arrays.encode_value(v) for k, v in case_dict.get("kwargs", {}).items()}
    if case_dict.get("expected") is not None:
        out["expected"] = arrays.encode_value(case_dict["expected"])
    out["mistakes"] = [{"hint": m["hint"], "output": arrays.encode_value(m["output"])}
                       for m in case_dict.get("mistakes", [])]
    if case_dict.get("check"):
        out["check"] = {"name": case_dict["check"]["name"],
                        "params": arrays.encode_value(dict(case_dict["check"].get("params", {})))}
    return out
