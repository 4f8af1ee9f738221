"""Real data: the CDNOW cohort (Fader & Hardie). Published figures from PROVENANCE.md:
23,570 customers in the master file, 2,357 in the 1/10 sample; counting purchases by
distinct days, repeat purchases (days - 1) in the calibration window up to 1997-09-30 give
the histogram 1411, 439, 214, 100, 62, 38, 29, 64 for 0..6 and 7+."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import tierkit as tk
from conftest import shared_data


def whitespace_table(path, columns):
    # The files are aligned with runs of spaces (and CRLF line ends): split on whitespace.
    lines = path.read_text().split("\n")
    if "master" in path.name:
        lines = lines[1:]
    rows = [ln.split() for ln in lines if ln.strip()]
    cols = list(zip(*rows))
    data = dict(zip(columns, cols))
    dates = pc.strptime(pa.array(data["date"]), format="%Y%m%d", unit="s")
    return pa.table({
        "customer": pa.array(np.array(data["customer"], dtype=np.int64)),
        "time": dates.cast(pa.date32()),
        "cds": pa.array(np.array(data["cds"], dtype=np.int64)),
        "amount": pa.array(np.array(data["amount"], dtype=np.float64)),
    })


def test_master_file_has_23570_customers():
    path = shared_data("cdnow") / "CDNOW_master.txt"
    t = whitespace_table(path, ["customer", "date", "cds", "amount"])
    assert t.num_rows == 69_659
    p = tk.profile(t, customer="customer", quantity="cds")
    assert len(p) == 23_570
    assert p.report.rows_used == 69_659
    s = p.summary()
    assert s["gross_sales"] == pytest.approx(2_500_315.63, abs=1e-6)
    assert p.to_arrow().column("quantity").to_numpy().sum() == 167_881
    assert p.as_of.isoformat() == "1998-07-01"


def test_sample_repeat_purchase_histogram_in_the_calibration_window():
    path = shared_data("cdnow") / "CDNOW_sample.txt"
    t = whitespace_table(path, ["master_id", "customer", "date", "cds", "amount"])
    assert t.num_rows == 6_919
    everything = tk.profile(t, customer="customer")
    assert len(everything) == 2_357
    assert everything.to_arrow().column("purchase_days").to_numpy().sum() == 6_696
    calib = tk.profile(t, customer="customer", window_start="1997-01-01", as_of="1997-10-01")
    x = calib.to_arrow().column("purchase_days").to_numpy() - 1
    hist = [int((x == k).sum()) for k in range(7)] + [int((x >= 7).sum())]
    assert hist == [1411, 439, 214, 100, 62, 38, 29, 64]
    assert x.sum() == 2_457
    assert calib.report.rows_outside_window == t.num_rows - calib.report.rows_used
