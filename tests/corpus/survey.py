"""Print, per corpus variant, its mistake, its ground truth and gradcheck's report on the buggy network.

Run from the repository root: ``python tests/corpus/survey.py [name ...]`` (no names: every variant; a name may be a
prefix, such as ``lstm`` or ``ce-``). ``--verdicts`` prints one line per variant instead: whether the set of
parameters gradcheck finds wrong is the ground truth's.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tests.corpus`` importable from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import gradcheck  # noqa: E402
from tests.corpus.nets import VARIANTS, Variant  # noqa: E402


def buggy_report(variant: Variant) -> gradcheck.Report:
    loss, grad, params = variant.build(True)
    return gradcheck.check(loss, grad, params)


def verdict_line(variant: Variant) -> str:
    report = buggy_report(variant)
    found = {r.name for r in report.failed}
    kinds = ", ".join(f"{r.name}:{r.kind}" for r in report.failed)
    same = "same" if found == set(variant.wrong) else f"DIFFERS (truth {sorted(variant.wrong)})"
    return f"{variant.name:48s} {variant.truth['hypothesis']:26s} {same:10s} {kinds}"


def survey(variant: Variant) -> str:
    truth = ", ".join(f"{k}={v!r}" for k, v in variant.truth.items())
    rule = "=" * 118
    return (f"{rule}\n{variant.name}  [{variant.category}]\n  mistake: {variant.mistake}\n  fix:     {variant.fix}\n"
            f"  wrong:   {sorted(variant.wrong)}\n  truth:   {truth}\n{rule}\n{buggy_report(variant)}\n")


def main(argv: list[str]) -> int:
    verdicts = "--verdicts" in argv
    names = [a for a in argv if a != "--verdicts"]
    chosen = [v for v in VARIANTS if not names or any(v.name == n or v.name.startswith(n) for n in names)]
    if not chosen:
        print(f"no variant matches {names}; the variants are: {', '.join(v.name for v in VARIANTS)}", file=sys.stderr)
        return 2
    for variant in chosen:
        print(verdict_line(variant) if verdicts else survey(variant))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
