"""Read-back on the real bus and database: after a replan each charge point that accepted its profiles is
asked for its composite schedule; the verdict is kept and shown, and a mismatch makes the next replan
send the profiles again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ladeplan_contracts.events import (
    ChargePointBooted,
    ChargePointCreated,
    Connector,
    LocationCreated,
    TransactionStarted,
)

pytestmark = pytest.mark.integration

LIMIT_KW = 22.0


async def a_site(publish, db, eventually, gateway, ids, charge_points=2):
    location = ids("rb-loc")
    points = [f"{ids('RB')}-{n}" for n in range(charge_points)]
    for point in points:
        await gateway.hold(point)
    await publish(LocationCreated(location_id=location, name="Depot", timezone="Europe/Berlin", grid_limit_kw=LIMIT_KW))
    for point in points:
        connectors = [Connector(connector_id=1, max_power_kw=22.0)]
        await publish(ChargePointCreated(charge_point_id=point, location_id=location, connectors=connectors))
    await eventually(lambda: db.fetchval("SELECT count(*) = $2 FROM charge_points WHERE location_id = $1",
                                         location, charge_points))  # fmt: skip
    return location, points


async def start(publish, ids, point):
    session = ids("rb-s") + point[-2:]
    await publish(
        TransactionStarted(
            session_id=session, charge_point_id=point, evse_id=1, connector_id=1, transaction_ref=f"tx-{session}",
            token_uid="TAG1", authorization_status="Accepted", started_at=datetime.now(UTC), meter_start_wh=0,
        ),
        charge_point_id=point,
    )  # fmt: skip
    return session


async def checks(client, auth, location):
    answer = await client.get(f"/api/v1/locations/{location}/charge-points", headers=auth)
    assert answer.status == 200
    return {row["charge_point_id"]: row["profile_check"] for row in (await answer.json())["charge_points"]}


async def test_an_honest_charge_point_is_verified_and_one_without_read_back_is_not(
    publish, db, eventually, gateway, client, auth, ids
):
    location, (honest, silent) = await a_site(publish, db, eventually, gateway, ids)
    gateway.composite[honest] = "honest"
    await start(publish, ids, honest)
    await start(publish, ids, silent)

    async def both_checked_with_their_tx_profiles():
        # The first plan (no sessions yet) sent caps only; wait for the check after the TxProfiles went out.
        if not any(point == honest and request.evse_id == 1 for point, request in gateway.asked):
            return None
        if not all(any(c.profile.purpose == "tx" for c in gateway.of(point)) for point in (honest, silent)):
            return None
        found = await checks(client, auth, location)
        if any(found[point] is None for point in (honest, silent)):
            return None
        # The verdict of the honest one's last read-back, not of an earlier one.
        recorded = datetime.fromisoformat(found[honest]["checked_at"])
        return found if recorded >= gateway.last_asked[honest] else None

    found = await eventually(both_checked_with_their_tx_profiles)
    assert found[honest]["verdict"] == "verified"
    assert found[silent]["verdict"] == "not_verified"
    assert "not_supported" in found[silent]["detail"]
    # The cap was asked for on EVSE 0, the TxProfile's EVSE too, over the next plan periods in A.
    asked = {(request.evse_id, request.unit) for point, request in gateway.asked if point == honest}
    assert asked >= {(0, "A"), (1, "A")}
    # A read-back that could not tell forgets nothing: the profiles count as held (once recorded: the
    # stand-in has them before ems-adapter has the reply).
    await eventually(lambda: db.fetchval("SELECT count(*) = 2 FROM sent_profiles WHERE charge_point_id = $1", silent))
    unknown = await client.get("/api/v1/locations/nowhere/charge-points", headers=auth)
    assert unknown.status == 404


async def test_a_charge_point_reporting_another_schedule_is_a_mismatch_and_gets_its_profiles_again(
    publish, db, eventually, gateway, client, auth, ids
):
    location, (wrong, other) = await a_site(publish, db, eventually, gateway, ids)

    def ignores_our_profiles(request):
        # 32 A all along: as if it held a local profile of its own instead of our cap and TxProfile.
        schedule = {"evse_id": request.evse_id, "duration": request.duration_s,
                    "schedule_start": datetime.now(UTC).isoformat(), "charging_rate_unit": "A",
                    "charging_schedule_period": [{"start_period": 0, "limit": 32.0, "number_phases": 3}]}  # fmt: skip
        return {"status": "Accepted", "schedule": schedule}

    gateway.composite[wrong] = ignores_our_profiles
    gateway.composite[other] = "honest"
    await start(publish, ids, wrong)

    async def mismatch_after_the_tx_profile():
        if not any(point == wrong and request.evse_id == 1 for point, request in gateway.asked):
            return None
        found = (await checks(client, auth, location))[wrong]
        held = await db.fetchval("SELECT count(*) FROM sent_profiles WHERE charge_point_id = $1", wrong)
        # Forgotten as held (cap and TxProfile): the next replan sends them again.
        return found if found is not None and found["verdict"] == "mismatch" and held == 0 else None

    found = await eventually(mismatch_after_the_tx_profile)
    assert found["reported_kw"] == pytest.approx(32 * 0.69)
    assert found["expected_kw"] < found["reported_kw"]
    assert found["evse_id"] in (0, 1)
    assert "reported 22.080 kW" in found["detail"]
    caps_before = len([c for c in gateway.of(wrong) if c.profile.purpose == "charge_point_max"])
    txs_before = len([c for c in gateway.of(wrong) if c.profile.purpose == "tx"])

    # A replan that changes nothing for it (the idle charge point next to it boots) sends both again.
    await publish(ChargePointBooted(charge_point_id=other, vendor="Sim", model="2"), charge_point_id=other)

    async def sent_again():
        caps = [c for c in gateway.of(wrong) if c.profile.purpose == "charge_point_max"]
        txs = [c for c in gateway.of(wrong) if c.profile.purpose == "tx"]
        return len(caps) > caps_before and len(txs) > txs_before

    await eventually(sent_again)
    # The honest one next to it is verified.
    await eventually(lambda: _verdict(client, auth, location, other, "verified"))


async def _verdict(client, auth, location, point, expected):
    found = (await checks(client, auth, location))[point]
    return found is not None and found["verdict"] == expected
