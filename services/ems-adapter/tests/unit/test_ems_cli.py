"""``ladeplan ems plan --input FILE``: one JSON plan on stdout, exit 0; unusable input exits 2."""

from __future__ import annotations

import json

import pytest

from ladeplan.cli import main

pytestmark = pytest.mark.unit

SCENARIO = {
    "slot_minutes": 15,
    "start": "2026-01-05T00:00:00+01:00",
    "site_limit_kw": [20, 20, 20, 20],
    "price_eur_per_kwh": [0.3, 0.1, 0.1, 0.3],
    "vehicles": [
        # Arrives mid-slot: its first usable slot is the second.
        {"id": "a", "arrival": "2026-01-05T00:05:00+01:00", "departure": "2026-01-05T01:00:00+01:00",
         "energy_kwh": 4, "max_power_kw": 11, "min_power_kw": 4.14},
        {"id": "b", "arrival": "2026-01-05T00:00:00+01:00", "departure": "2026-01-05T00:30:00+01:00",
         "energy_kwh": 30, "max_power_kw": 22, "min_power_kw": 4.14},
    ],
}  # fmt: skip


def run(tmp_path, capsys, scenario):
    path = tmp_path / "scenario.json"
    path.write_text(scenario if isinstance(scenario, str) else json.dumps(scenario))
    code = main(["ems", "plan", "--input", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_plan_is_printed_as_json_within_the_limit(tmp_path, capsys):
    code, out, _ = run(tmp_path, capsys, SCENARIO)

    plan = json.loads(out)
    assert code == 0
    assert [v["id"] for v in plan["vehicles"]] == ["a", "b"]
    a, b = (v["power_kw"] for v in plan["vehicles"])
    assert a[0] == 0  # not plugged in for the whole first slot
    assert all(x + y <= 20 + 1e-9 for x, y in zip(a, b, strict=True))
    assert b[2:] == [0, 0]  # gone after 00:30
    # b wants more than 2 slots can give; a's 4 kWh fit; the slot left over is the dear one
    assert plan["energy_delivered_kwh"] == pytest.approx(4 + 10, abs=1e-3)
    assert plan["peak_kw"] <= 20
    assert plan["cost_eur"] == pytest.approx(
        sum((x + y) * 0.25 * p for x, y, p in zip(a, b, SCENARIO["price_eur_per_kwh"], strict=True)), abs=1e-3
    )


def test_a_broken_scenario_exits_2_with_a_reason(tmp_path, capsys):
    code, out, err = run(tmp_path, capsys, {**SCENARIO, "price_eur_per_kwh": [0.1]})

    assert (code, out) == (2, "")
    assert "same number of slots" in err


def test_a_missing_file_exits_2(tmp_path, capsys):
    assert main(["ems", "plan", "--input", str(tmp_path / "nope.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_an_unknown_ems_subcommand_prints_usage(capsys):
    assert main(["ems", "frobnicate"]) == 2
    assert "usage: ladeplan ems plan" in capsys.readouterr().err
