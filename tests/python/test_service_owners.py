"""Owner assignment (tierkit.service.owners): hand-worked cases and properties."""
import datetime as dt
import pickle

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import tierkit as tk
from tierkit.service import OwnerAssignment, assign_owners_over

PLAN = tk.ServicePlan({"Private": {"owner_role": "private banker"}, "Wealth": {"owner_role": "wealth manager"},
                       "Branch": {"owner_role": "branch staff"}, "Mass": {}})
REASSIGN = tk.ServicePlan({"Private": {"owner_role": "private banker"},
                           "Wealth": {"owner_role": "wealth manager", "on_upgrade": "reassign"},
                           "Branch": {"owner_role": "branch staff"}, "Mass": {}})


def roster(capacity=(2, 2, 1, 1), active=None, ids=(10, 11, 20, 30)):
    base = {10: ("branch staff", "B1"), 11: ("branch staff", "B1"), 20: ("wealth manager", "B1"),
            30: ("branch staff", "B2")}
    t = {"owner_id": list(ids), "role": [base[i][0] for i in ids], "branch": [base[i][1] for i in ids],
         "capacity": pa.array(list(capacity), pa.int64())}
    if active is not None:
        t["active"] = list(active)
    return pa.table(t)


def customers(rows):
    """rows: (key, tier, branch)."""
    tiers = pa.table({"customer_id": [r[0] for r in rows], "tier": [r[1] for r in rows]})
    branches = pa.table({"customer_id": [r[0] for r in rows], "branch": [r[2] for r in rows]})
    return tiers, branches


def assign(rows, date="2024-01-01", plan=PLAN, r=None, **kw):
    tiers, branches = customers(rows)
    return plan.assign_owners(tiers, r if r is not None else roster(), date=date, branches=branches, **kw)


def col(a, name):
    return a.to_arrow()[name].to_pylist()


def test_least_loaded_owner_of_the_role_in_the_branch_with_ties_by_id():
    a = assign([(3, "Branch", "B1"), (1, "Branch", "B1"), (2, "Branch", "B1")])
    assert col(a, "customer_id") == [1, 2, 3]
    assert col(a, "owner") == [10, 11, 10]
    assert col(a, "credited_to") == [10, 11, 10]
    assert col(a, "reason") == ["assigned"] * 3 and col(a, "cause") == ["new customer"] * 3
    assert col(a, "owner_role") == ["branch staff"] * 3
    assert a.loads()["load"].to_pylist() == [2, 1, 0, 0]


def test_an_owner_at_capacity_and_the_pool():
    a = assign([(1, "Branch", "B1"), (2, "Branch", "B1"), (3, "Branch", "B1"), (4, "Branch", "B1"),
                (5, "Branch", "B1"), (6, "Wealth", "B2"), (7, "Branch", None), (8, "Mass", "B1")])
    assert col(a, "owner") == [10, 11, 10, 11, None, None, None, None]
    assert col(a, "reason")[4:] == ["pooled", "pooled", "pooled", "not needed"]
    assert col(a, "cause")[4:7] == ["every owner at capacity", "no owner of the role in the branch", "no branch"]
    assert a.pool()["customer_id"].to_pylist() == [5, 6, 7]
    cov = a.coverage().to_arrow().to_pylist()
    assert [(r["tier"], r["customers"], r["with_role"], r["pooled"]) for r in cov] == [
        ("Private", 0, 0, 0), ("Wealth", 1, 0, 1), ("Branch", 6, 4, 2), ("Mass", 1, 0, 0)]
    loads = a.loads().to_arrow()
    assert all(load <= c for load, c in zip(loads["load"].to_pylist(), loads["capacity"].to_pylist()))
    assert a.summary()["customers"].to_pylist() == [1, 0, 0, 4, 3]


def test_an_upgrade_is_kept_by_the_old_owner_with_credited_to_unchanged():
    a = assign([(1, "Branch", "B1")], date="2024-01-01")
    b = assign([(1, "Wealth", "B1")], date="2024-02-01", previous=a)
    assert col(b, "owner") == [10] and col(b, "reason") == ["kept"]
    assert col(b, "credited_to") == [10] and col(b, "owner_since") == [dt.date(2024, 1, 1)]
    assert b.coverage().to_arrow().to_pylist()[1]["with_role"] == 0
    c = assign([(1, "Wealth", "B1")], date="2024-02-01", plan=REASSIGN, previous=a)
    assert col(c, "owner") == [20] and col(c, "cause") == ["role change"]
    assert col(c, "credited_to") == [10] and col(c, "previous_owner") == [10]


def test_the_customer_s_choice():
    a = assign([(1, "Branch", "B1")])
    choice = pa.table({"customer_id": [1], "choice": [20]})
    b = assign([(1, "Wealth", "B1")], date="2024-02-01", previous=a, choice=choice)
    assert col(b, "owner") == [20] and col(b, "reason") == ["customer's choice"] and col(b, "credited_to") == [10]
    stay = assign([(1, "Wealth", "B1")], date="2024-02-01", plan=REASSIGN, previous=a,
                  choice=pa.table({"customer_id": [1], "choice": [10]}))
    assert col(stay, "owner") == [10] and col(stay, "reason") == ["customer's choice"]
    refused = assign([(1, "Wealth", "B1")], date="2024-02-01", plan=REASSIGN, previous=a,
                     choice=pa.table({"customer_id": [1], "choice": [99]}))
    assert col(refused, "owner") == [20] and col(refused, "cause") == ["choice refused"]
    none = assign([(1, "Branch", "B1")], date="2024-02-01", previous=a,
                  choice=pa.table({"customer_id": [1], "choice": pa.array([None], pa.int64())}))
    assert col(none, "reason") == ["kept"]


def test_an_owner_leaving():
    a = assign([(1, "Branch", "B1"), (2, "Branch", "B1")])
    b = assign([(1, "Branch", "B1"), (2, "Branch", "B1")], date="2024-02-01", previous=a,
               r=roster(active=[False, True, True, True]))
    assert col(b, "owner") == [11, 11] and col(b, "cause") == ["owner left", None]
    assert col(b, "credited_to") == [10, 11]
    gone = assign([(1, "Branch", "B1"), (2, "Branch", "B1")], date="2024-02-01", previous=a,
                  r=roster(capacity=(2, 1, 1), ids=(11, 20, 30)))
    assert col(gone, "owner") == [11, 11] and col(gone, "credited_to") == [10, 11]


def test_errors_name_unknown_roles_with_close_names_and_bad_rosters():
    r = roster().set_column(1, "role", pa.array(["branch staff", "branch staf", "wealth manager", "branch staff"]))
    with pytest.raises(tk.InvalidInput, match="1 row of the roster have the role 'branch staf'.*did you mean "
                                               "'branch staff'"):
        assign([(1, "Branch", "B1")], r=r)
    with pytest.raises(tk.InvalidInput, match="negative"):
        assign([(1, "Branch", "B1")], r=roster(capacity=(2, -1, 1, 1)))
    with pytest.raises(tk.SchemaError, match="no column 'capacity'"):
        assign([(1, "Branch", "B1")], r=roster().drop_columns(["capacity"]))
    with pytest.raises(tk.InvalidInput, match="repeat"):
        assign([(1, "Branch", "B1"), (1, "Wealth", "B1")])


def test_the_assignment_round_trips_through_its_table_and_pickle(tmp_path):
    a = assign([(1, "Branch", "B1"), (2, "Wealth", "B1"), (3, "Branch", None)])
    pq.write_table(a.to_arrow(), tmp_path / "owners.parquet")
    back = OwnerAssignment.from_arrow(pq.read_table(tmp_path / "owners.parquet"), plan=PLAN)
    nxt = dict(date="2024-02-01", r=roster(capacity=(1, 2, 1, 1)))
    rows = [(1, "Wealth", "B1"), (2, "Wealth", "B1"), (3, "Branch", "B1"), (4, "Branch", "B1")]
    assert assign(rows, previous=a, **nxt) == assign(rows, previous=back, **nxt)
    assert pickle.loads(pickle.dumps(a)) == a
    assert "<table>" in a._repr_html_() and "owner assignment" in repr(a)
    pytest.importorskip("pandas")
    assert a.to_pandas().index.name == "customer_id"


# --- properties -----------------------------------------------------------------------------------

def _random_period(rng, n_customers, n_owners, date):
    keys = rng.choice(np.arange(1, 3 * n_customers + 1), n_customers, replace=False)
    tiers = pa.table({"customer_id": keys, "tier": rng.choice(["Private", "Wealth", "Branch", "Mass"], n_customers,
                                                              p=[0.1, 0.3, 0.5, 0.1]),
                      "monetary": np.round(rng.gamma(1.0, 100.0, n_customers), 0)})
    branch = rng.choice(["B1", "B2", "B3"], n_customers).astype(object)
    branch[rng.random(n_customers) < 0.05] = None
    branches = pa.table({"customer_id": keys, "branch": pa.array(branch, pa.string())})
    ids = rng.choice(np.arange(100, 100 + 4 * n_owners), n_owners, replace=False)
    r = pa.table({"owner_id": ids, "role": rng.choice(["private banker", "wealth manager", "branch staff"], n_owners),
                  "branch": rng.choice(["B1", "B2", "B3"], n_owners),
                  "capacity": rng.integers(0, 6, n_owners).astype(np.int64),
                  "active": rng.random(n_owners) >= 0.1})
    choice = pa.table({"customer_id": keys, "choice": pa.array(
        np.where(rng.random(n_customers) < 0.1, rng.choice(ids, n_customers), -1)).cast(pa.int64())})
    choice = choice.set_column(1, "choice", pc.if_else(pc.equal(choice["choice"], -1), None, choice["choice"]))
    return {"tiers": tiers, "roster": r, "branches": branches, "choice": choice, "date": date}


def _shuffled(rng, p):
    out = dict(p)
    for k in ("tiers", "roster", "branches", "choice"):
        out[k] = p[k].take(pa.array(rng.permutation(p[k].num_rows)))
    return out


def test_properties_capacity_nobody_lost_row_order_and_advancing_equals_the_whole_history():
    from hypothesis import given, settings, strategies as st

    @settings(max_examples=25, deadline=None)
    @given(st.integers(0, 2**32 - 1), st.integers(1, 120), st.integers(1, 25), st.integers(1, 4))
    def check(seed, n, owners, months):
        rng = np.random.default_rng(seed)
        periods = [_random_period(rng, n, owners, dt.date(2024, m, 1)) for m in range(1, months + 1)]
        # Advancing month by month, the previous read back from its table each time.
        a = None
        for p in periods:
            prev = OwnerAssignment.from_arrow(a.to_arrow()) if a is not None else None
            a = PLAN.assign_owners(p["tiers"], p["roster"], previous=prev,
                                   **{k: p[k] for k in ("date", "branches", "choice")})
            t = a.to_arrow()
            loads = a.loads().to_arrow()
            # No owner above capacity; held customers are the loads.
            assert all(load <= c for load, c in zip(loads["load"].to_pylist(), loads["capacity"].to_pylist()))
            held = pc.value_counts(t["owner"].drop_null()).to_pylist()
            by_owner = dict(zip(loads["owner"].to_pylist(), loads["load"].to_pylist()))
            assert all(by_owner[h["values"]] == h["counts"] for h in held)
            # Every customer is in the assignment once: with an owner, pooled or needing none.
            assert sorted(t["customer_id"].to_pylist()) == sorted(p["tiers"]["customer_id"].to_pylist())
            for reason, owner in zip(t["reason"].to_pylist(), t["owner"].to_pylist()):
                assert (owner is not None) == (reason in ("kept", "customer's choice", "assigned"))
            # Row order changes nothing.
            again = PLAN.assign_owners(**{k: v for k, v in _shuffled(rng, p).items()}, previous=prev)
            assert again == a
        # The whole history at once.
        assert assign_owners_over(PLAN, periods) == a
    check()


def test_credited_to_never_changes_once_set():
    rng = np.random.default_rng(3)
    periods = [_random_period(np.random.default_rng(5), 80, 12, dt.date(2024, m, 1)) for m in (1, 2, 3)]
    first = {}
    a = None
    for p in periods:
        p = dict(p, roster=p["roster"].set_column(3, "capacity", pa.array(rng.integers(0, 8, p["roster"].num_rows))))
        a = PLAN.assign_owners(p.pop("tiers"), p.pop("roster"), previous=a, **p)
        for k, c in zip(a.to_arrow()["customer_id"].to_pylist(), a.to_arrow()["credited_to"].to_pylist()):
            if c is not None:
                assert first.setdefault(k, c) == c
            else:
                assert k not in first
