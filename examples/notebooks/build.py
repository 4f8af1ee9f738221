"""Builds and runs the example notebooks: each is written here as a list of cells, turned
into .ipynb with nbformat and executed with nbclient (outputs kept in the file).

    python examples/notebooks/build.py            # rewrite and execute every notebook
    python examples/notebooks/build.py --check    # execute the notebooks as they are (tests)

The notebooks read the real data sets of ../shared/data (TIERKIT_SHARED_DATA points
elsewhere); they are not part of the package.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

RETAIL = [
    ("md", "# Tiering the customers of an online retailer\n\n"
           "The UCI *Online Retail* data: 541,909 invoice lines of a UK gift retailer, "
           "December 2010 to December 2011. We profile the customers, score them with RFM, ABC "
           "and lifecycle stages, tier them by a policy, and follow the tiers month by month."),
    ("code", "import os\nfrom pathlib import Path\nimport pyarrow as pa\nimport pyarrow.csv as pcsv\n"
             "import tierkit as tk\n\n"
             "DATA = Path(os.environ.get('TIERKIT_SHARED_DATA', Path.cwd().parents[2] / 'shared' / 'data'))\n"
             "lines = pcsv.read_csv(DATA / 'online-retail-uci' / 'online_retail.csv.gz',  # ids as text\n"
             "    convert_options=pcsv.ConvertOptions("
             "column_types={'CustomerID': pa.string(), 'InvoiceNo': pa.string()},\n"
             "                                        strings_can_be_null=True))"
             "  # an empty id is a missing one\n"
             "lines = tk.derive_columns(lines, {'amount': 'Quantity * UnitPrice'})\n"
             "lines.num_rows"),
    ("md", "## Profiles\nLines without a customer are left out and counted (`on_invalid='drop'`); "
           "returns (negative lines) are netted."),
    ("code", "p = tk.profile(lines, customer='CustomerID', time='InvoiceDate', amount='amount',\n"
             "               order='InvoiceNo', as_of='2011-12-10', on_invalid='drop')\n"
             "print(p.report)\nprint(p.describe())"),
    ("md", "## RFM, ABC and lifecycle"),
    ("code", "rfm = tk.RFM().fit(p)\n"
             "scores = tk.score(p, tk.RFM(), tk.ABC(), tk.Lifecycle(dormant_days=120, churn_days=270))\n"
             "rfm.segment_summary(p).to_pandas()"),
    ("code", "import matplotlib.pyplot as plt\nfig, axes = plt.subplots(1, 2, figsize=(12, 4))\n"
             "tk.plots.rfm_heatmap(rfm.apply(p), ax=axes[0])\n"
             "tk.plots.lorenz(tk.ABC().fit(p), ax=axes[1])\nplt.show()"),
    ("md", "## A tier policy"),
    ("code", "policy = tk.TierPolicy([\n"
             "    ('Platinum', \"abc_class = 'A' and segment in ('Champions', 'Loyal Customers')\"),\n"
             "    ('Gold', \"abc_class in ('A', 'B') and lifecycle in ('active', 'new', 'reactivated')\"),\n"
             "    ('Silver', 'r_score >= 3'),\n], default='Bronze')\n"
             "tiers = policy.assign(p, scores, keep='monetary')\ntiers.summary().to_pandas()"),
    ("code", "tk.plots.tier_mix(tiers)\nplt.show()"),
    ("md", "## Tiers month by month\nTwelve monthly assessments on 12-month windows; the top two "
           "tiers keep a customer through two months below."),
    ("code", "job = tk.Tiering(policy, transactions=dict(customer='CustomerID', time='InvoiceDate', amount='amount',\n"
             "                 order='InvoiceNo', on_invalid='drop'),\n"
             "                 strategies=[{'rfm': {}}, {'abc': {}}, "
             "{'lifecycle': {'dormant_days': 120, 'churn_days': 270}}])\n"
             "ledger = tk.TierHistory(job, start='2011-01-01', end='2011-12-01',\n"
             "                        transitions={t: {'downgrade_after': 3} for t in ('Platinum', 'Gold')})"
             ".run(lines)\n"
             "ledger"),
    ("code", "fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))\n"
             "ledger.migration('2011-06-01', '2011-12-01').plot(ax=axes[0])\n"
             "ledger.plot_flows(ax=axes[1])\nplt.show()"),
    ("code", "ledger.watch_list().to_pandas().head(10)"),
    ("code", "import pandas as pd\nk = ledger.kpis().to_pandas()\nk[k.assessment == pd.Timestamp('2011-11-01')]"),
]

BANK = [
    ("md", "# Asset bands of a retail bank\n\n"
           "The Berka (PKDD'99) data of a Czech bank: account transactions with running balances, "
           "1993 to March 1994. Monthly average daily balances (月日均), the Chinese retail asset "
           "bands and relationship stars, and the bands month by month with three months' grace."),
    ("code", "import os\nfrom pathlib import Path\nimport numpy as np\nimport pandas as pd\nimport tierkit as tk\n\n"
             "ROOT = Path(os.environ.get('TIERKIT_SHARED_DATA', Path.cwd().parents[2] / 'shared' / 'data'))"
             " / 'berka-pkdd99'\n"
             "tr = pd.read_csv(ROOT / 'trans_19930101-19940330.asc', sep=';', dtype={'date': str})\n"
             "tr['date'] = pd.to_datetime(tr['date'], format='%y%m%d')\n"
             "disp = pd.read_csv(ROOT / 'disp.asc', sep=';')\n"
             "owners = disp[disp['type'] == 'OWNER'][['account_id', 'client_id']]\nlen(tr), len(owners)"),
    ("md", "## Average daily balances\nThe day's last balance carries over days without events."),
    ("code", "adb = tk.average_daily_balances(tr, account='account_id', time='date', value='balance')\n"
             "by_client = adb.by_customer(owners, customer='client_id')\n"
             "latest = by_client.latest().to_pandas()\nlatest.describe()"),
    ("md", "## Bands and stars\nBerka's balances are CZK of 1993: the preset's amounts are scaled to a "
           "tenth here."),
    ("code", "bands = tk.AssetBands([\n"
             "    {'label': 'Private banking', 'lower': 200_000},\n"
             "    {'label': 'Wealth management', 'lower': 20_000},\n"
             "    {'label': 'Branch managed', 'lower': 10_000},\n"
             "    {'label': 'Branch staff', 'lower': 5_000},\n"
             "], balance='adb').fit_apply(latest, key='client_id')\n"
             "bands.to_pandas()['asset_band'].value_counts()"),
    ("code", "import matplotlib.pyplot as plt\ntk.plots.asset_band_pyramid(bands, lang='zh')\nplt.show()"),
    ("code", "stats = by_client.mean().to_pandas().join(latest)\n"
             "stats['accounts'] = owners.groupby('client_id').size()\n"
             "stats['wallet_share'] = 1.0  # one bank's data: no assets elsewhere are known\n"
             "stars = tk.RelationshipStars(private_banking=200_000, vip=10_000)"
             ".apply(stats.reset_index(), key='client_id')\n"
             "stars.to_pandas()['relationship_level'].value_counts()"),
    ("md", "## Bands month by month\nEach month's band from the month before's average; a client "
           "leaves a band only after three months below it."),
    ("code", "monthly = by_client.to_pandas(index=False).rename(columns={'average_daily_balance': 'adb'})\n"
             "monthly['effective'] = (monthly['period_start'] + pd.DateOffset(months=1)).dt.date\n"
             "tr = tr.merge(owners, on='account_id')\n"
             "tr['signed'] = np.where(tr['type'] == 'PRIJEM', tr['amount'], -tr['amount'])\n"
             "policy = tk.TierPolicy([('Branch managed', 'adb >= 10000'), ('Branch staff', 'adb >= 5000')],\n"
             "                       default='Not maintained')\n"
             "job = tk.Tiering(policy, transactions=dict(customer='client_id', time='date', amount='signed'),\n"
             "                 attributes=dict(customer='client_id'))\n"
             "ledger = tk.TierHistory(job, attributes_effective='effective',\n"
             "                        transitions={t: {'downgrade_after': 3}"
             " for t in ('Branch managed', 'Branch staff')})\n"
             "ledger = ledger.run(tr, monthly[['client_id', 'effective', 'adb']])\nledger"),
    ("code", "ledger.plot_flows()\nplt.show()\nledger.migration(ledger.dates[0], ledger.dates[-1])"),
]

NOTEBOOKS = {"retail_online_retail.ipynb": RETAIL, "bank_berka.ipynb": BANK}


def build(path: Path, cells) -> None:
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
                for kind, src in cells]
    nbformat.write(nb, path)


def execute(path: Path, timeout: int = 600) -> None:
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="execute the notebooks as they are")
    ap.add_argument("--out", type=Path, default=HERE, help="directory of the notebooks")
    args = ap.parse_args()
    for name, cells in NOTEBOOKS.items():
        path = args.out / name
        if not args.check:
            build(path, cells)
        execute(path)
        print(f"executed {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
