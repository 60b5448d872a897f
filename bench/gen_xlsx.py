"""Writes a synthetic sales workbook (first sheet) with the requested number
of data rows, streaming (openpyxl's write-only mode), for the benchmarks.

    gen_xlsx.py OUT.xlsx ROWS
"""
import datetime
import random
import sys

from openpyxl import Workbook

path, rows = sys.argv[1], int(sys.argv[2])
random.seed(7)
regions = ["North America", "Europe", "Asia Pacific", "Latin America"]
channels = ["online", "retail", "partner"]
products = ["Laptop Pro 14", "Wireless Mouse", "USB-C Hub", "Tablet 11", "Smartwatch S"]
start = datetime.datetime(2024, 1, 1)
book = Workbook(write_only=True)
sheet = book.create_sheet("sales")
sheet.append(["timestamp", "order_id", "region", "channel", "product", "quantity", "unit_price"])
for i in range(rows):
    sheet.append(
        [
            start + datetime.timedelta(minutes=7 * i),
            f"ORD-{i}",
            regions[i % 4],
            channels[i % 3],
            products[i % 5],
            1 + i % 10,
            round(random.uniform(5, 1500), 2),
        ]
    )
book.save(path)
print(rows)
